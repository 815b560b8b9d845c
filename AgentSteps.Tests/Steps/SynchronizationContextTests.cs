namespace AgentSteps.Tests;

public class SynchronizationContextTests
{
    public record Answer(string Text);

    public abstract class Questions
    {
        [Step(Model = "m")]
        public abstract Answer Ask(string question);

        [Step(Model = "m")]
        public abstract Task<Answer> AskAsync(string question);
    }

    /// <summary>A middleware client that awaits without ConfigureAwait(false), as much application code does.</summary>
    private sealed class YieldingClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public SynchronizationContext? SeenContext { get; private set; }

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            SeenContext = SynchronizationContext.Current;
            await Task.Yield();
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
    }

    [Test]
    public void SyncLlmStep_UnderASingleThreadedContext_DoesNotDeadlock()
    {
        var client = new YieldingClient(new ScriptedChatClient("""{"Text":"yes"}"""));
        using var context = new SingleThreadSynchronizationContext();
        var outcome = new TaskCompletionSource<(string Text, bool ContextRestored)>(TaskCreationOptions.RunContinuationsAsynchronously);

        context.Post(
            _ =>
            {
                try
                {
                    using var runtime = new Runtime(client);
                    var text = Steps.Create<Questions>().Ask("x").Text;
                    outcome.SetResult((text, ReferenceEquals(SynchronizationContext.Current, context)));
                }
                catch (Exception e)
                {
                    outcome.SetException(e);
                }
            },
            null);

        // Bounded: a deadlock fails the test instead of hanging the run.
        Assert.That(outcome.Task.Wait(TimeSpan.FromSeconds(30)), Is.True, "the step deadlocked waiting for a continuation posted to its own blocked thread");
        Assert.That(outcome.Task.Result.Text, Is.EqualTo("yes"));
        Assert.That(outcome.Task.Result.ContextRestored, Is.True, "the caller's context is back after the call");
        Assert.That(client.SeenContext, Is.Null);
    }

    [Test]
    public void AsyncLlmStep_UnderASingleThreadedContext_KeepsTheCallersContext()
    {
        var client = new YieldingClient(new ScriptedChatClient("""{"Text":"yes"}"""));
        using var context = new SingleThreadSynchronizationContext();
        var outcome = new TaskCompletionSource<(string Text, bool OnContextThread)>(TaskCreationOptions.RunContinuationsAsynchronously);

        context.Post(
            async _ =>
            {
                try
                {
                    using var runtime = new Runtime(client);
                    var answer = await Steps.Create<Questions>().AskAsync("x");
                    outcome.SetResult((answer.Text, Environment.CurrentManagedThreadId == context.ManagedThreadId));
                }
                catch (Exception e)
                {
                    outcome.SetException(e);
                }
            },
            null);

        Assert.That(outcome.Task.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(outcome.Task.Result.Text, Is.EqualTo("yes"));
        Assert.That(outcome.Task.Result.OnContextThread, Is.True, "an async step's caller resumes on its own context");
        Assert.That(client.SeenContext, Is.SameAs(context), "async steps start on the caller's context, as any async call does");
    }
}
