using AgentSteps.Pipeline;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests;

public class ConcurrencyLimitTests
{
    public abstract class Summaries
    {
        [Step(Model = "gpt-4o-mini"), Description("Summarize the text in one line.")]
        public abstract Task<string> SummarizeAsync(string text, CancellationToken cancellationToken = default);

        [Step]
        public virtual async Task<string[]> SummarizeAllAsync(IReadOnlyList<string> texts) =>
            await Task.WhenAll(texts.Select(text => SummarizeAsync(text)));
    }

    [Test]
    public async Task FiftyParallelSteps_NeverExceedMaxConcurrentModelCalls()
    {
        var client = new HeldChatClient();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 4 });
        var texts = Enumerable.Range(1, 50).Select(i => $"text {i}").ToArray();

        var all = Steps.Create<Summaries>().SummarizeAllAsync(texts);

        // Four calls take the four slots; each one released lets exactly one more in.
        var held = new Queue<HeldCall>();
        for (int i = 0; i < 4; i++)
        {
            held.Enqueue(await client.NextArrivalAsync());
        }

        Assert.That(client.InFlight, Is.EqualTo(4));
        for (int arrived = 4; arrived < 50; arrived++)
        {
            held.Dequeue().Release();
            held.Enqueue(await client.NextArrivalAsync());
            Assert.That(client.InFlight, Is.LessThanOrEqualTo(4));
        }

        while (held.Count > 0)
        {
            held.Dequeue().Release();
        }

        var summaries = await all;
        Assert.That(summaries, Is.EqualTo(texts.Select(t => "re: " + t)));
        Assert.That(client.MaxInFlight, Is.EqualTo(4));
        Assert.That(client.Calls, Is.EqualTo(50));
        Assert.That(runtime.ExecutedSteps.Where(s => s.Name == "SummarizeAsync"), Has.Exactly(50).Matches<ExecutedStep>(s => s.Succeeded));
    }

    [Test]
    public async Task Limit_IsSharedByEveryRuntimeBuiltFromTheSameOptions()
    {
        var client = new HeldChatClient();
        var options = new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 2 };
        var texts = Enumerable.Range(1, 5).Select(i => $"text {i}").ToArray();

        // Two runs, each in its own async flow, each wanting five calls at once.
        async Task<string[]> RunAsync()
        {
            using var runtime = new Runtime(options);
            return await Steps.Create<Summaries>().SummarizeAllAsync(texts);
        }

        var first = Task.Run(RunAsync);
        var second = Task.Run(RunAsync);
        var held = new Queue<HeldCall>();
        held.Enqueue(await client.NextArrivalAsync());
        held.Enqueue(await client.NextArrivalAsync());
        for (int arrived = 2; arrived < 10; arrived++)
        {
            held.Dequeue().Release();
            held.Enqueue(await client.NextArrivalAsync());
        }

        while (held.Count > 0)
        {
            held.Dequeue().Release();
        }

        await Task.WhenAll(first, second);
        Assert.That(client.MaxInFlight, Is.EqualTo(2), "one limit for both runs, not one per run");
        Assert.That(client.Calls, Is.EqualTo(10));
    }

    [Test]
    public async Task CancellationWhileWaitingForASlot_ThrowsAndFreesNothingItDidNotTake()
    {
        var client = new HeldChatClient();
        var clock = new FakeTimeProvider();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 1, TimeProvider = clock });
        var summaries = Steps.Create<Summaries>();
        var gate = runtime.Configuration.ModelCallGate!;

        var holder = summaries.SummarizeAsync("holder");
        var holderCall = await client.NextArrivalAsync();
        using var cancellation = new CancellationTokenSource();
        var waiter = summaries.SummarizeAsync("waiter", cancellation.Token);
        clock.Advance(TimeSpan.FromSeconds(2));
        await cancellation.CancelAsync();

        Assert.That(async () => await waiter, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(gate.CurrentCount, Is.Zero, "the holder still has the only slot");

        holderCall.Release();
        Assert.That(await holder, Is.EqualTo("re: holder"));
        Assert.That(gate.CurrentCount, Is.EqualTo(1), "one slot, not two: the cancelled wait released nothing");

        var after = summaries.SummarizeAsync("after");
        (await client.NextArrivalAsync()).Release();
        Assert.That(await after, Is.EqualTo("re: after"));
        Assert.That(client.MaxInFlight, Is.EqualTo(1));
        Assert.That(client.Calls, Is.EqualTo(2), "the cancelled step never reached the model");

        var cancelled = runtime.ExecutedSteps.Single(s => Equals(s.Arguments["text"], "waiter"));
        Assert.That(cancelled.Exception, Is.InstanceOf<OperationCanceledException>());
        Assert.That(cancelled.ModelWaitTime, Is.EqualTo(TimeSpan.FromSeconds(2)), "the time it waited before it gave up");
    }

    [Test]
    public async Task PreCancelledStep_UnderALimit_TakesNoSlot()
    {
        var client = new HeldChatClient();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 1 });

        Assert.That(async () => await Steps.Create<Summaries>().SummarizeAsync("x", new CancellationToken(canceled: true)),
            Throws.InstanceOf<OperationCanceledException>());

        Assert.That(runtime.Configuration.ModelCallGate!.CurrentCount, Is.EqualTo(1));
        Assert.That(client.Calls, Is.Zero);
    }

    [Test]
    public async Task ModelWaitTime_IsRecordedOnTheStepInTheJsonAndInTheTree()
    {
        var client = new HeldChatClient();
        var clock = new FakeTimeProvider();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 1, TimeProvider = clock });
        var summaries = Steps.Create<Summaries>();

        var first = summaries.SummarizeAsync("first");
        var firstCall = await client.NextArrivalAsync();
        var second = summaries.SummarizeAsync("second");
        clock.Advance(TimeSpan.FromSeconds(3));
        firstCall.Release();
        (await client.NextArrivalAsync()).Release();
        await Task.WhenAll(first, second);

        var steps = runtime.ExecutedSteps.OrderBy(s => s.Sequence).ToArray();
        Assert.That(steps.Select(s => s.ModelWaitTime), Is.EqualTo(new[] { TimeSpan.Zero, TimeSpan.FromSeconds(3) }));

        var json = JObject.Parse(runtime.ToJson());
        var written = ((JArray)json["steps"]!).Select(s => (double?)s["modelWaitMs"]).ToArray();
        Assert.That(written, Is.EqualTo(new double?[] { null, 3000 }), "written only when a call waited");
        Assert.That(runtime.FormatTree(), Does.Contain("waited 3000 ms for a model slot"));
    }

    [Test]
    public void ModelWaitTime_WithoutALimit_IsZeroAndNotWritten()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<Summaries>().SummarizeAllAsync(["a", "b"]).GetAwaiter().GetResult();

        Assert.That(runtime.ExecutedSteps.Select(s => s.ModelWaitTime), Has.All.EqualTo(TimeSpan.Zero));
        Assert.That(runtime.ToJson(), Does.Not.Contain("modelWaitMs"));
    }

    [Test]
    public async Task EnterAsync_WithoutALimitOrWithAFreeSlot_CompletesAtOnceAndAllocatesNothing()
    {
        foreach (int? limit in new int?[] { null, 0, 2 })
        {
            var allocated = new List<long>();
            var options = new RuntimeOptions { ChatClient = new SampleChatClient(), MaxConcurrentModelCalls = limit };
            options.Use((context, next) =>
            {
                for (int i = 0; i < 3; i++)
                {
                    // The first round warms up; the later ones must allocate nothing.
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    var entering = ModelCallLimiter.EnterAsync(context, CancellationToken.None);
                    bool completed = entering.IsCompletedSuccessfully;
                    entering.Result.Dispose();
                    allocated.Add(completed ? GC.GetAllocatedBytesForCurrentThread() - before : -1);
                }

                return next(context);
            });
            using var runtime = new Runtime(options);

            await Steps.Create<Summaries>().SummarizeAsync("x");

            Assert.That(allocated.Skip(1), Has.All.EqualTo(0), $"limit {limit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
            Assert.That(runtime.Configuration.ModelCallGate?.CurrentCount, Is.EqualTo(limit is > 0 ? limit : null));
        }
    }

    [Test]
    public void MaxConcurrentModelCalls_Negative_IsRejected_ZeroAndNullMeanNoLimit()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RuntimeOptions { MaxConcurrentModelCalls = -1 });
        Assert.That(new RuntimeOptions { MaxConcurrentModelCalls = 0 }.Compile().ModelCallGate, Is.Null);
        Assert.That(new RuntimeOptions().Compile().ModelCallGate, Is.Null);
        Assert.That(new RuntimeOptions { MaxConcurrentModelCalls = 3 }.Compile().ModelCallGate!.CurrentCount, Is.EqualTo(3));
    }

    [Test]
    public void MaxConcurrentModelCalls_OnOptionsInUse_Throws()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        using var runtime = new Runtime(options);

        Assert.Throws<InvalidOperationException>(() => options.MaxConcurrentModelCalls = 2);
    }
}
