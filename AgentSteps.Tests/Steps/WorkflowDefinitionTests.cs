namespace AgentSteps.Tests;

public class WorkflowDefinitionTests
{
    public record Answer(string Text);

    public record Item(string Name);

    public abstract class AsyncGenerics
    {
        [Step]
        public virtual async Task<T> EchoAsync<T>(T value)
        {
            await Task.Yield();
            return value;
        }

        [Step]
        public virtual ValueTask<List<T>> PairAsync<T>(T value) => new([value, value]);
    }

    [Test]
    public async Task Create_AsyncGenericCodeSteps_RunWithTheirTypeArguments()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<AsyncGenerics>();

        Assert.That(await workflow.EchoAsync(42), Is.EqualTo(42));
        Assert.That(await workflow.EchoAsync("text"), Is.EqualTo("text"));
        Assert.That(await workflow.PairAsync(1.5), Is.EqualTo(new[] { 1.5, 1.5 }));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "EchoAsync", "EchoAsync", "PairAsync" }));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Loop), Is.EqualTo(new[] { 1, 2, 1 }), "one step whatever its type arguments");
    }

    public abstract class SpanParameter
    {
        [Step]
        public virtual int Sum(params ReadOnlySpan<int> values) => values.Length;
    }

    [Test]
    public void Create_SpanParameter_ThrowsNamingTheParameterAndTheFix()
    {
        var e = CreateFails<SpanParameter>();
        Assert.That(e.Message, Does.Contain("'SpanParameter.Sum' has the parameter 'values' of type ReadOnlySpan<int>").And.Contain("Take an array or IReadOnlyList<T> instead"));
    }

    public abstract class AsyncVoid
    {
        [Step]
        public virtual async void Fire(string text) => await Task.Yield();
    }

    [Test]
    public void Create_AsyncVoidStep_ThrowsSayingReturnTask()
    {
        var e = CreateFails<AsyncVoid>();
        Assert.That(e.Message, Does.Contain("'AsyncVoid.Fire' is 'async void'").And.Contain("Return Task instead of void"));
    }

    public abstract class TwoTokens
    {
        [Step]
        public virtual Task RunAsync(CancellationToken first, CancellationToken second) => Task.CompletedTask;
    }

    [Test]
    public void Create_TwoCancellationTokens_ThrowsNamingBoth()
    {
        var e = CreateFails<TwoTokens>();
        Assert.That(e.Message, Does.Contain("'TwoTokens.RunAsync' has two CancellationToken parameters ('first' and 'second')").And.Contain("CreateLinkedTokenSource"));
    }

    public abstract class NullableToken
    {
        [Step(Model = "m")]
        public abstract Task<Answer> AskAsync(string question, CancellationToken? cancellationToken = null);
    }

    [Test]
    public void Create_NullableCancellationToken_ThrowsSayingTakeACancellationToken()
    {
        var e = CreateFails<NullableToken>();
        Assert.That(e.Message, Does.Contain("'NullableToken.AskAsync' has the parameter 'cancellationToken' of type CancellationToken?").And.Contain("Take a CancellationToken instead"));
    }

    public abstract class EmptyModel
    {
        [Step(Model = "")]
        public abstract Answer Ask(string question);
    }

    public abstract class WhitespaceModel
    {
        [Step(Model = "  ")]
        public abstract Answer Ask(string question);
    }

    [Test]
    public void Create_EmptyOrWhitespaceModel_ThrowsSayingNameTheModel()
    {
        Assert.That(CreateFails<EmptyModel>().Message, Does.Contain("'EmptyModel.Ask' sets Model to an empty name").And.Contain("RuntimeOptions.DefaultModel"));
        Assert.That(CreateFails<WhitespaceModel>().Message, Does.Contain("'WhitespaceModel.Ask' sets Model to an empty name"));
    }

    public abstract record RecordWorkflow(string Greeting)
    {
        [Step(Model = "m")]
        public abstract Answer Ask(string question);

        [Step]
        public virtual string Greet(string name) => $"{Greeting}, {name}: {Ask(name).Text}";
    }

    [Test]
    public void Create_AbstractRecordWorkflow_Works()
    {
        using var runtime = new Runtime(new ScriptedChatClient("""{"Text":"hi"}"""));

        var workflow = Steps.Create<RecordWorkflow>("Hello");

        Assert.That(workflow.Greet("Ada"), Is.EqualTo("Hello, Ada: hi"));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "Ask", "Greet" }));
    }

    public abstract class NegativeMaxLoops
    {
        [Step(MaxLoops = -1)]
        public virtual string Run() => "x";
    }

    public abstract class InfiniteTemperature
    {
        [Step(Model = "m", Temperature = double.PositiveInfinity)]
        public abstract Answer Ask(string question);
    }

    public abstract class TopPAboveOne
    {
        [Step(Model = "m", TopP = 2)]
        public abstract Answer Ask(string question);
    }

    public abstract class InheritsNegativeRetries
    {
        [Step(Model = "m", OutputRetries = -3)]
        public abstract Answer Ask(string question);
    }

    public abstract class DerivedFromNegativeRetries : InheritsNegativeRetries
    {
        [Step]
        public virtual string Run() => "x";
    }

    public abstract class EmptyPrompt
    {
        [Step(Model = "m")]
        [Prompt("")]
        public abstract Answer Ask(string question);
    }

    [Test]
    public void Create_InvalidAttributeValues_NameTheMemberThePropertyAndTheFix()
    {
        Assert.That(CreateFails<NegativeMaxLoops>().Message, Does.Contain("Step 'NegativeMaxLoops.Run' sets MaxLoops = -1 on its [Step] attribute, which is invalid: The value must be at least 0. Fix MaxLoops"));
        Assert.That(CreateFails<InfiniteTemperature>().Message, Does.Contain("'InfiniteTemperature.Ask' sets Temperature = Infinity").And.Contain("must be a finite number, zero or more").And.Contain("Fix Temperature"));
        Assert.That(CreateFails<TopPAboveOne>().Message, Does.Contain("'TopPAboveOne.Ask' sets TopP = 2").And.Contain("between 0 and 1"));
        Assert.That(CreateFails<DerivedFromNegativeRetries>().Message, Does.Contain("'DerivedFromNegativeRetries.Ask' sets OutputRetries = -3"));
        Assert.That(CreateFails<EmptyPrompt>().Message, Does.Contain("'EmptyPrompt.Ask' has an invalid [Prompt] attribute: The value must not be empty or white space."));
        Assert.That(CreateFails<NegativeMaxLoops>().Message, Does.Not.Contain("target of an invocation"));
    }

    public abstract class TwoConstructors
    {
        protected TwoConstructors(string greeting) => Greeting = greeting;

        protected TwoConstructors(string greeting, int times)
            : this(greeting) => Times = times;

        public string Greeting { get; }

        public int Times { get; }

        [Step]
        public virtual string Run() => Greeting;
    }

    [Test]
    public void Create_ArgumentsMatchingNoConstructor_ListsTheConstructorsThatExist()
    {
        var e = Assert.Throws<ArgumentException>(() => Steps.Create<TwoConstructors>(1.5));

        Assert.That(e!.Message, Does.Contain("'TwoConstructors' has no accessible constructor that takes (double)")
            .And.Contain("TwoConstructors(string greeting)").And.Contain("TwoConstructors(string greeting, int times)"));
        Assert.That(e.ParamName, Is.EqualTo("constructorArguments"));
    }

    public abstract class ThrowingConstructor
    {
        protected ThrowingConstructor(string name) => ArgumentException.ThrowIfNullOrEmpty(name);

        [Step]
        public virtual string Run() => "x";
    }

    [Test]
    public void Create_ThrowingConstructor_ThrowsTheConstructorsOwnException()
    {
        var e = Assert.Throws<ArgumentException>(() => Steps.Create<ThrowingConstructor>(string.Empty));
        Assert.That(e!.ParamName, Is.EqualTo("name"));
    }

    public abstract class Extract<T>
    {
        /// <summary>You pull the name out of the item.</summary>
        [Step(Model = "m")]
        public abstract Answer Run(T input);
    }

    [Test]
    public void Create_GenericWorkflowLlmStepTakingT_HasItsXmlDocSystemPrompt()
    {
        var client = new ScriptedChatClient("""{"Text":"pen"}""");
        using var runtime = new Runtime(client);

        Steps.Create<Extract<Item>>().Run(new Item("pen"));

        Assert.That(client.Requests.Single().SystemPrompt, Is.EqualTo("You pull the name out of the item."));
    }

    /// <summary>Fails the first time its description is read, as a transient fault while inspecting would.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class FlakyDescriptionAttribute : DescriptionAttribute
    {
        private static int s_failuresLeft = 1;

        public override string Description =>
            Interlocked.Decrement(ref s_failuresLeft) >= 0 ? throw new InvalidOperationException("Transient fault.") : "Answer.";
    }

    public abstract class FlakyInspection
    {
        [Step(Model = "m")]
        [FlakyDescription]
        public abstract Answer Ask(string question);
    }

    [Test]
    public void Create_AfterAnUnexpectedFailure_InspectsAgainInsteadOfRethrowingACachedFailure()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<FlakyInspection>());
        Assert.That(e!.Message, Is.EqualTo("Transient fault."));

        Assert.That(Steps.Create<FlakyInspection>(), Is.Not.Null);
    }

    private static WorkflowDefinitionException CreateFails<T>()
        where T : class =>
        Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<T>())!;
}
