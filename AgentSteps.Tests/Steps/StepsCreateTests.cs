
namespace AgentSteps.Tests;

public class StepsCreateTests
{
    public record Answer(string Text);

    public abstract class NonVirtualStep
    {
        [Step]
        public string Run() => "x";
    }

    public abstract class ModelOnCodeStep
    {
        [Step(Model = "gpt-4o-mini")]
        public virtual string Run() => "x";
    }

    public sealed class SealedWorkflow
    {
        [Step]
        public string Run() => "x";
    }

    public abstract class AsyncEnumerableStep
    {
        private readonly int[] _numbers = [1];

        [Step]
        public virtual ReadOnlySpan<int> Run() => _numbers;
    }

    public abstract class UnknownPlaceholder
    {
        [Step(Model = "m")]
        [Prompt("Write about {topic} for {audience}")]
        public abstract Answer Write(string topic);
    }

    public abstract class DictionaryOutput
    {
        [Step(Model = "m")]
        public abstract Dictionary<string, int> Count(string text);
    }

    public record Untyped(string Name, object Payload);

    public abstract class UntypedOutput
    {
        [Step(Model = "m")]
        public abstract Untyped Read(string text);
    }

    public abstract class AbstractWithoutStep
    {
        public abstract string Forgotten();

        [Step]
        public virtual string Run() => "x";
    }

    public abstract class LlmStepReturningTask
    {
        [Step(Model = "m")]
        public abstract Task Notify(string text);
    }

    public abstract class ManyProblems
    {
        [Step]
        public string First() => "x";

        [Step(Model = "m")]
        public virtual string Second() => "y";
    }

    public abstract class NoSteps
    {
        public virtual string Run() => "x";
    }

    public abstract class WithConstructor(string greeting)
    {
        [Step]
        public virtual string Greet(string name) => $"{greeting}, {name}";
    }

    public abstract class GoodWorkflow
    {
        [Step(Model = "m")]
        [Description("Answer.")]
        public abstract Answer Ask(string question);
    }

    public abstract class NegativeMaxLoops
    {
        [Step(MaxLoops = -1)]
        public virtual string Run() => "x";
    }

    public record Level10(string Leaf);

    public record Level9(Level10 Next);

    public record Level8(Level9 Next);

    public record Level7(Level8 Next);

    public record Level6(Level7 Next);

    public record Level5(Level6 Next);

    public record Level4(Level5 Next);

    public record Level3(Level4 Next);

    public record Level2(Level3 Next);

    public record Level1(Level2 Next);

    public record Level0(Level1 Next);

    public abstract class TooDeep
    {
        [Step(Model = "m")]
        public abstract Level0 Dig(string text);
    }

    public abstract class MoreMistakes
    {
        [Step]
        public virtual void WithRef(ref int value) => value++;

        [Step]
        public static string Static() => "x";

        [Step]
        [Prompt("Say {text}")]
        public virtual string PromptOnCode(string text) => text;

        [Step(Model = "m")]
        public abstract T GenericLlm<T>(string text);
    }

    [Test]
    public void Create_RefParameterStaticStepPromptOnCodeAndGenericLlmStep_AreEachReported()
    {
        var e = CreateFails<MoreMistakes>();

        Assert.That(e.Problems, Has.Count.EqualTo(4));
        Assert.That(e.Problems, Has.Some.Contains("'MoreMistakes.WithRef' has the ref or out parameter 'value'"));
        Assert.That(e.Problems, Has.Some.Contains("'MoreMistakes.Static' is static"));
        Assert.That(e.Problems, Has.Some.Contains("'MoreMistakes.PromptOnCode' has a body but a [Prompt]"));
        Assert.That(e.Problems, Has.Some.Contains("'MoreMistakes.GenericLlm' is generic"));
    }

    public abstract class IdsFirst
    {
        [Step]
        public virtual string Run() => "x";
    }

    public abstract class IdsSecond
    {
        [Step]
        public virtual string Run() => "x";
    }

    public abstract class HalfBroken
    {
        [Step]
        public virtual string Good() => "x";

        [Step]
        public string Bad() => "x";
    }

    [Test]
    public void Create_FailingWorkflowRepeatedly_UsesNoStepIds()
    {
        // Runs count loop entries in an array indexed by step id: ids must stay one per kept step.
        int first = AgentSteps.Inspection.WorkflowInspector.Inspect(typeof(IdsFirst)).Find(typeof(IdsFirst).GetMethod(nameof(IdsFirst.Run))!)!.Id;
        for (int i = 0; i < 3; i++)
        {
            Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<HalfBroken>());
        }

        int second = AgentSteps.Inspection.WorkflowInspector.Inspect(typeof(IdsSecond)).Find(typeof(IdsSecond).GetMethod(nameof(IdsSecond.Run))!)!.Id;
        Assert.That(second, Is.EqualTo(first + 1));
    }

    private static WorkflowDefinitionException CreateFails<T>()
        where T : class =>
        Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<T>())!;

    [Test]
    public void Create_NonVirtualStep_ThrowsNamingMethodAndFix()
    {
        var e = CreateFails<NonVirtualStep>();
        Assert.That(e.Message, Does.Contain("Step 'NonVirtualStep.Run' must be virtual").And.Contain("Mark it 'virtual'"));
        Assert.That(e.WorkflowType, Is.EqualTo(typeof(NonVirtualStep)));
    }

    [Test]
    public void Create_CodeStepWithModel_ThrowsSayingMakeItAbstract()
    {
        var e = CreateFails<ModelOnCodeStep>();
        Assert.That(e.Message, Does.Contain("'ModelOnCodeStep.Run' has a body but sets Model").And.Contain("Make it abstract"));
    }

    [Test]
    public void Create_SealedClass_ThrowsSayingRemoveSealed()
    {
        var e = CreateFails<SealedWorkflow>();
        Assert.That(e.Message, Does.Contain("'SealedWorkflow' is sealed").And.Contain("Remove 'sealed'"));
    }

    [Test]
    public void Create_UnsupportedReturnType_ThrowsListingSupportedShapes()
    {
        var e = CreateFails<AsyncEnumerableStep>();
        Assert.That(e.Message, Does.Contain("'AsyncEnumerableStep.Run' returns ReadOnlySpan").And.Contain("Return T, void, Task, Task<T>, ValueTask, ValueTask<T> or IAsyncEnumerable<T>"));
    }

    [Test]
    public void Create_PromptPlaceholderNamingNoParameter_ThrowsNamingPlaceholderAndParameters()
    {
        var e = CreateFails<UnknownPlaceholder>();
        Assert.That(e.Message, Does.Contain("'UnknownPlaceholder.Write'").And.Contain("'{audience}'").And.Contain("(topic)"));
    }

    [Test]
    public void Create_DictionaryOutput_ThrowsStrictModeError()
    {
        var e = CreateFails<DictionaryOutput>();
        Assert.That(e.Message, Does.Contain("'DictionaryOutput.Count'").And.Contain("dictionary").And.Contain("list of key/value records"));
    }

    [Test]
    public void Create_UntypedOutputProperty_ThrowsStrictModeError()
    {
        var e = CreateFails<UntypedOutput>();
        Assert.That(e.Message, Does.Contain("'UntypedOutput.Read'").And.Contain("untyped").And.Contain("concrete type"));
    }

    [Test]
    public void Create_OutputNestedDeeperThanStrictModeAllows_Throws()
    {
        var e = CreateFails<TooDeep>();
        Assert.That(e.Message, Does.Contain("'TooDeep.Dig'").And.Contain("levels deep"));
    }

    [Test]
    public void Create_AbstractMethodWithoutStep_ThrowsSayingAddStep()
    {
        var e = CreateFails<AbstractWithoutStep>();
        Assert.That(e.Message, Does.Contain("'AbstractWithoutStep.Forgotten' is abstract but has no [Step]"));
    }

    [Test]
    public void Create_LlmStepReturningNothing_Throws()
    {
        var e = CreateFails<LlmStepReturningTask>();
        Assert.That(e.Message, Does.Contain("LLM step 'LlmStepReturningTask.Notify' returns nothing"));
    }

    [Test]
    public void Create_SeveralMistakes_ReportsEveryOne()
    {
        var e = CreateFails<ManyProblems>();
        Assert.That(e.Problems, Has.Count.EqualTo(2));
        Assert.That(e.Message, Does.Contain("ManyProblems.First").And.Contain("ManyProblems.Second"));
    }

    [Test]
    public void Create_ClassWithoutSteps_Throws()
    {
        var e = CreateFails<NoSteps>();
        Assert.That(e.Message, Does.Contain("'NoSteps' has no [Step] methods"));
    }

    [Test]
    public void Create_NegativeMaxLoops_ThrowsNamingTheStep()
    {
        var e = CreateFails<NegativeMaxLoops>();
        Assert.That(e.Message, Does.Contain("'NegativeMaxLoops.Run' sets MaxLoops = -1 on its [Step] attribute, which is invalid: The value must be at least 0. Fix MaxLoops"));
    }

    [Test]
    public void Create_InternalWorkflowWithoutInternalsVisibleTo_ThrowsSayingHowToFix()
    {
        var e = CreateFails<InternalWorkflow>();
        Assert.That(e.Message, Does.Contain("'InternalWorkflow' is internal").And.Contain("InternalsVisibleTo(\"DynamicProxyGenAssembly2\")"));
    }

    [Test]
    public void Create_ConstructorArguments_ArePassedToTheWorkflow()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<WithConstructor>("Hello");
        Assert.That(workflow.Greet("Ada"), Is.EqualTo("Hello, Ada"));
    }

    [Test]
    public void Create_ArgumentsMatchingNoConstructor_ThrowsArgumentException()
    {
        var e = Assert.Throws<ArgumentException>(() => Steps.Create<WithConstructor>(42));
        Assert.That(e!.Message, Does.Contain("'WithConstructor' has no accessible constructor that takes (int). Its constructors: WithConstructor(string greeting)."));
    }

    [Test]
    public void Create_MistakenWorkflow_FailsBeforeAnyModelIsCalled()
    {
        var client = new ScriptedChatClient("{\"Text\":\"unused\"}");
        using var runtime = new Runtime(client);
        Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<UnknownPlaceholder>());
        Assert.That(client.Requests, Is.Empty);
    }

    [Test]
    public void Create_SameWorkflowTwice_ReusesTheProxyType()
    {
        var first = Steps.Create<GoodWorkflow>();
        var second = Steps.Create<GoodWorkflow>();
        Assert.That(first.GetType(), Is.SameAs(second.GetType()));
        Assert.That(first, Is.Not.SameAs(second));
    }
}

internal abstract class InternalWorkflow
{
    [Step]
    public virtual string Run() => "x";
}
