namespace AgentSteps.Tests.Streaming;

public class WatchTests
{
    public record Verdict(bool Ok);

    public abstract class Flow
    {
        [Step]
        public virtual string Run(string input) => Judge(input).Ok ? "yes" : "no";

        [Step(Model = "m"), Description("Judge.")]
        public abstract Verdict Judge(string input);
    }

    [Test]
    public async Task WatchAsync_YieldsStepEventsInOrder_ThenTheRunsEnd()
    {
        var runtime = new Runtime(new ScriptedChatClient("""{"Ok":true}"""));
        var events = runtime.WatchAsync();
        var seen = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var e in events)
            {
                if (e.Kind != RunEventKind.ModelText)
                {
                    seen.Add(e.ToString());
                }
            }
        });

        using (runtime)
        {
            Steps.Create<Flow>().Run("x");
        }

        await reading.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(seen, Is.EqualTo(new[] { "StepStarted Run:1", "StepStarted Run:1/Judge:1", "StepCompleted Run:1/Judge:1", "StepCompleted Run:1", "RunCompleted" }));
    }

    [Test]
    public async Task WatchAsync_AfterTheRunEnded_YieldsOnlyItsEnd()
    {
        var runtime = new Runtime(new ScriptedChatClient("""{"Ok":true}"""));
        using (runtime)
        {
            Steps.Create<Flow>().Run("x");
        }

        var events = new List<RunEventKind>();
        await foreach (var e in runtime.WatchAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            events.Add(e.Kind);
        }

        Assert.That(events, Is.EqualTo(new[] { RunEventKind.RunCompleted }));
    }

    [Test]
    public void WatchAsync_Cancelled_StopsWatching_AndTheRunGoesOn()
    {
        using var runtime = new Runtime(new ScriptedChatClient("""{"Ok":true}"""));
        using var cts = new CancellationTokenSource();
        var enumerator = runtime.WatchAsync(cts.Token).GetAsyncEnumerator();
        cts.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => await enumerator.MoveNextAsync());
        Assert.That(Steps.Create<Flow>().Run("x"), Is.EqualTo("yes"));
    }
}
