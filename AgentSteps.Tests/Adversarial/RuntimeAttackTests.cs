namespace AgentSteps.Tests.Adversarial;

public class RuntimeAttackTests
{
    public abstract class Work
    {
        [Step]
        public virtual string Echo(string x) => x;
    }

    private static async Task DisposeAfterAwaitAsync(Runtime runtime)
    {
        await Task.Yield();
        runtime.Dispose();
    }

    [Test]
    public async Task Current_AfterRuntimeDisposedInAnotherFlow_IsNeverTheDisposedRuntime()
    {
        var runtime = new Runtime(new SampleChatClient());
        try
        {
            await DisposeAfterAwaitAsync(runtime);

            Assert.That(Runtime.Current, Is.Not.SameAs(runtime), "Runtime.Current must never be a disposed runtime");
        }
        finally
        {
            runtime.Dispose();
        }
    }

    [Test]
    public async Task Step_AfterRuntimeDisposedInAnotherFlow_ThrowsObjectDisposedOrNoRuntime()
    {
        var runtime = new Runtime(new SampleChatClient());
        await Task.Run(runtime.Dispose);

        var e = Assert.Catch(() => Steps.Create<Work>().Echo("x"));
        Assert.That(e, Is.InstanceOf<ObjectDisposedException>().Or.InstanceOf<InvalidOperationException>());
        Assert.That(runtime.ExecutedSteps, Is.Empty);
    }

    [Test]
    public void Options_FrozenAfterFirstUse_EveryMutatorThrows()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        using (new Runtime(options))
        {
        }

        Assert.Multiple(() =>
        {
            Assert.Throws<InvalidOperationException>(() => options.ChatClient = null);
            Assert.Throws<InvalidOperationException>(() => options.DefaultModel = "m");
            Assert.Throws<InvalidOperationException>(() => options.ModelOverride = "m");
            Assert.Throws<InvalidOperationException>(() => options.Log = _ => { });
            Assert.Throws<InvalidOperationException>(() => options.EnableSensitiveData = true);
            Assert.Throws<InvalidOperationException>(() => options.TimeProvider = TimeProvider.System);
            Assert.Throws<InvalidOperationException>(() => options.Use((c, n) => n(c)));
            Assert.Throws<InvalidOperationException>(() => ((ICollection<KeyValuePair<string, IChatClient>>)options.ModelClients).Add(new("m", new SampleChatClient())));
            Assert.Throws<InvalidOperationException>(() => ((ICollection<KeyValuePair<string, string>>)options.ModelAliases).Add(new("a", "b")));
            Assert.Catch(() => options.ModelAliases.Keys.Add("x"));
            Assert.Throws<InvalidOperationException>(() => options.Observers.Clear());
            Assert.Throws<InvalidOperationException>(() => options.Middleware.Insert(0, new NoOp()));
            Assert.Throws<InvalidOperationException>(() => options.Trace.MaxDepth = 3);
            Assert.Throws<InvalidOperationException>(() => options.Trace.MaxItems = 3);
            Assert.Throws<InvalidOperationException>(() => options.Trace.MaxStringLength = 3);
            Assert.Throws<InvalidOperationException>(() => options.Trace.MaxValueLength = 3);
            Assert.Throws<InvalidOperationException>(() => StepTraceOptions.Default.MaxDepth = 3);
        });
    }

    [Test]
    public void Observer_ThatBlocksNeverAndThrowsEverywhere_DoesNotChangeTheResult()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Observers.Add(new Throwing());
        using (var runtime = new Runtime(options))
        {
            Assert.That(Steps.Create<Work>().Echo("x"), Is.EqualTo("x"));
        }
    }

    private sealed class NoOp : IStepMiddleware
    {
        public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next) => next(context);
    }

    private sealed class Throwing : IRunObserver
    {
        public void OnStepStarted(ExecutedStep step) => throw new StackOverflowLikeException();

        public void OnStepCompleted(ExecutedStep step) => throw new OperationCanceledException();

        public void OnRunCompleted(Runtime run) => throw new ObjectDisposedException("x");
    }

    private sealed class StackOverflowLikeException : Exception;
}
