namespace AgentSteps.Tests.Adversarial;

public class DefinitionAttackTests
{
    public record Answer(string Text);

    public abstract class AsyncVoid
    {
        [Step]
        public virtual async void Fire() => await Task.Yield();
    }

    public abstract class SpanParameter
    {
        [Step]
        public virtual int Sum(params ReadOnlySpan<int> values) => values.Length;
    }

    public abstract class NullableToken
    {
        [Step(Model = "m"), Description("Answer.")]
        public abstract Answer Ask(string q, CancellationToken? cancellationToken);
    }

    public abstract class TwoTokens
    {
        [Step]
        public virtual int Go(CancellationToken a, CancellationToken b) => 1;
    }

    public abstract class EmptyModel
    {
        [Step(Model = " "), Description("Answer.")]
        public abstract Answer Ask(string q);
    }

    public abstract class UnknownPlaceholder
    {
        [Step(Model = "m"), Description("Answer."), Prompt("Tell me about {topic}")]
        public abstract Answer Ask(string subject);
    }

    public abstract class UnbalancedPlaceholder
    {
        [Step(Model = "m"), Description("Answer."), Prompt("Tell me about {subject")]
        public abstract Answer Ask(string subject);
    }

    public abstract class RefParameter
    {
        [Step]
        public virtual int Bump(ref int x) => ++x;
    }

    public abstract class OutParameter
    {
        [Step(Model = "m"), Description("Answer.")]
        public abstract Answer Ask(string q, out int tokens);
    }

    public abstract class StaticStep
    {
        [Step]
        public static int Twice(int x) => x * 2;
    }

    public abstract class InternalStep
    {
        [Step]
        internal virtual int Hidden(int x) => x;
    }

    public abstract class PrivateStep
    {
        public int Call(int x) => Hidden(x);

        [Step]
        private int Hidden(int x) => x;
    }

    public abstract class StreamingStep
    {
        [Step(Model = "m"), Description("Write.")]
        public abstract IAsyncEnumerable<string> WriteAsync(string q);
    }

    public abstract class StepWithoutModelButAbstract
    {
        [Step, Description("Answer.")]
        public abstract Answer Ask(string q);
    }

    public abstract class GenericLlm
    {
        [Step(Model = "m"), Description("Extract.")]
        public abstract T Extract<T>(string q);
    }

    public abstract class ModelOnCodeStep
    {
        [Step(Model = "m")]
        public virtual string Run(string q) => q;
    }

    public abstract record AbstractRecordWorkflow
    {
        [Step]
        public virtual int Go(int x) => x;
    }

    public abstract class ThrowingConstructor
    {
        protected ThrowingConstructor() => throw new InvalidOperationException("ctor broke");

        [Step]
        public virtual int Go(int x) => x;
    }

    public abstract class ObjectOutput
    {
        [Step(Model = "m"), Description("Anything.")]
        public abstract object Anything(string q);
    }

    public abstract class DynamicOutput
    {
        [Step(Model = "m"), Description("Anything.")]
        public abstract Task<dynamic> AnythingAsync(string q);
    }

    public abstract class InterfaceOutput
    {
        [Step(Model = "m"), Description("Anything.")]
        public abstract IComparable Anything(string q);
    }

    private static readonly Type[] s_mustFail =
    [
        typeof(AsyncVoid), typeof(SpanParameter), typeof(TwoTokens), typeof(EmptyModel), typeof(UnknownPlaceholder),
        typeof(UnbalancedPlaceholder), typeof(RefParameter), typeof(OutParameter), typeof(StaticStep), typeof(PrivateStep),
        typeof(ObjectOutput), typeof(DynamicOutput), typeof(InterfaceOutput), typeof(ModelOnCodeStep),
    ];

    [TestCaseSource(nameof(s_mustFail))]
    public void Create_BadWorkflow_IsAWorkflowDefinitionExceptionNamingTheMember(Type workflow)
    {
        var e = Assert.Catch(() => Steps.Create(workflow));

        Assert.That(e, Is.InstanceOf<WorkflowDefinitionException>(), e?.ToString());
        Assert.That(e!.Message, Does.Contain(workflow.Name));
    }

    [Test]
    public void Create_NullableCancellationToken_FlowsOrIsRejected()
    {
        var e = Assert.Catch(() => Steps.Create<NullableToken>());
        if (e is null)
        {
            var client = new ScriptedChatClient("""{"Text":"ok"}""");
            using var runtime = new Runtime(client);
            Steps.Create<NullableToken>().Ask("q", CancellationToken.None);
            Assert.That(client.Requests.Single().Messages[^1].Text, Does.Not.Contain("IsCancellationRequested"));
        }
        else
        {
            Assert.That(e, Is.InstanceOf<WorkflowDefinitionException>());
        }
    }

    [Test]
    public void Create_InternalVirtualStepVisibleToCastle_IsInterceptedOrRejected()
    {
        InternalStep workflow;
        try
        {
            workflow = Steps.Create<InternalStep>();
        }
        catch (WorkflowDefinitionException)
        {
            return;
        }

        using var runtime = new Runtime(new SampleChatClient());
        workflow.Hidden(1);
        Assert.That(runtime.ExecutedSteps, Has.Count.EqualTo(1), "a [Step] that is accepted must be recorded, never a silent pass-through");
    }

    [Test]
    public void Create_AbstractRecordWorkflow_WorksOrNamesTheFix()
    {
        try
        {
            var workflow = Steps.Create<AbstractRecordWorkflow>();
            using var runtime = new Runtime(new SampleChatClient());
            Assert.That(workflow.Go(2), Is.EqualTo(2));
        }
        catch (WorkflowDefinitionException e)
        {
            Assert.That(e.Message, Does.Not.Contain("<Clone>$"));
        }
    }

    [Test]
    public void Create_ThrowingConstructor_IsTheConstructorsOwnException()
    {
        var e = Assert.Catch(() => Steps.Create<ThrowingConstructor>());
        Assert.That(e, Is.Not.InstanceOf<System.Reflection.TargetInvocationException>());
        Assert.That(e!.ToString(), Does.Contain("ctor broke"));
    }

    [Test]
    public void Create_GenericLlmStep_WorksPerTypeOrIsRejected()
    {
        GenericLlm workflow;
        try
        {
            workflow = Steps.Create<GenericLlm>();
        }
        catch (WorkflowDefinitionException)
        {
            return;
        }

        var client = new ScriptedChatClient("""{"Text":"ok"}""", """{"value":3}""");
        using var runtime = new Runtime(client);
        Assert.That(workflow.Extract<Answer>("q").Text, Is.EqualTo("ok"));
        Assert.That(workflow.Extract<int>("q"), Is.EqualTo(3));
    }

    [Test]
    public void Create_AbstractStepWithoutModel_FailsClearlyWhenNoDefault()
    {
        var workflow = Steps.Create<StepWithoutModelButAbstract>();
        using var runtime = new Runtime(new ScriptedChatClient());
        var e = Assert.Catch(() => workflow.Ask("q"));
        Assert.That(e!.Message, Does.Contain("Ask").And.Contain("DefaultModel"));
    }

    [TestCase(-1)]
    public void StepAttribute_BadValues_AreRejectedWithTheMember(int value)
    {
        Assert.Catch<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxLoops = value });
        Assert.Catch<ArgumentOutOfRangeException>(() => _ = new StepAttribute { Temperature = double.PositiveInfinity });
        Assert.Catch<ArgumentOutOfRangeException>(() => _ = new StepAttribute { TopP = 2 });
    }
}
