using AgentSteps.Examples.Recipes;

namespace AgentSteps.Tests.Integration;

/// <summary>Streaming steps and watched runs over the real OpenAI client against the loopback server's server-sent events.</summary>
public class StreamingStepWireTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private OpenAIWireServer _server = null!;

    public record Idea(string Name, int Minutes);

    public record Verdict(bool Ok, string Reason);

    public abstract class Writer
    {
        [Step(Model = "gpt-4o-mini"), Description("Write a poem.")]
        public abstract IAsyncEnumerable<string> PoemAsync(string topic, CancellationToken cancellationToken = default);

        [Step(Model = "gpt-4o-mini"), Description("List ideas.")]
        public abstract IAsyncEnumerable<Idea> IdeasAsync(string request);

        [Step(Model = "gpt-4o-mini"), Description("Judge.")]
        public abstract Verdict Judge(string text);
    }

    [SetUp]
    public async Task StartServer() => _server = await OpenAIWireServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private Runtime Open() => new(new RuntimeOptions { ChatClient = RuntimeOptions.CreateOpenAIClient(null, _server.BaseUrl) });

    [Test]
    public async Task TextStep_YieldsTheFirstPiece_BeforeTheServerHasSentTheRest_InOrder()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["Roses ", "are ", "red."], holdAfter: 1, release: release.Task, promptTokens: 12, completionTokens: 3);
        var pieces = new List<string>();
        using (var runtime = Open())
        {
            using var guard = new CancellationTokenSource(Guard);
            await foreach (var piece in Steps.Create<Writer>().PoemAsync("roses", guard.Token))
            {
                pieces.Add(piece);
                if (pieces.Count == 1)
                {
                    Assert.That(_server.Requests.Single().ChunksWritten, Is.LessThan(4), "the rest was not sent yet");
                    release.SetResult();
                }
            }

            var step = runtime.ExecutedSteps.Single();
            Assert.That(step.Result, Is.EqualTo("Roses are red."));
            Assert.That(step.Usage?.InputTokenCount, Is.EqualTo(12), "usage is asked for in streams and counted");
            Assert.That(step.Usage?.OutputTokenCount, Is.EqualTo(3));
        }

        Assert.That(pieces, Is.EqualTo(new[] { "Roses ", "are ", "red." }));
        Assert.That(_server.Requests.Single().IsStream, Is.True);
        Assert.That(_server.Requests.Single().IncludeUsage, Is.True);
    }

    [Test]
    public async Task TextStep_StoppedEarly_EndsTheModelCall_AndIsRecordedWithWhatItYielded()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["one ", "two ", "three"], holdAfter: 1, release: release.Task);
        using var runtime = Open();
        await foreach (var piece in Steps.Create<Writer>().PoemAsync("numbers"))
        {
            break;
        }

        var request = _server.Requests.Single();
        await request.ClientDisconnected.WaitAsync(Guard);
        release.SetResult();
        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Exception, Is.Null);
        Assert.That(step.Result, Is.EqualTo("one "));
        Assert.That(request.DoneWritten, Is.False);
    }

    [Test]
    public async Task TextStep_CancelledMidStream_ThrowsOperationCanceled_AndTheServerSeesTheClientGo()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["one ", "two "], holdAfter: 1, release: release.Task);
        using var cts = new CancellationTokenSource();
        using var runtime = Open();
        Assert.CatchAsync<OperationCanceledException>(async () =>
        {
            await foreach (var piece in Steps.Create<Writer>().PoemAsync("numbers", cts.Token))
            {
                await cts.CancelAsync();
            }
        });

        await _server.Requests.Single().ClientDisconnected.WaitAsync(Guard);
        release.SetResult();
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task ItemStep_YieldsEachItem_AsItsJsonCompletes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["{\"value\":[{\"Name\":\"soup\",", "\"Minutes\":20}", ",{\"Name\":\"stew\",\"Minutes\":90}", "]}"], holdAfter: 2, release: release.Task);
        var ideas = new List<Idea>();
        using (Open())
        {
            await foreach (var idea in Steps.Create<Writer>().IdeasAsync("dinner").WithCancellation(new CancellationTokenSource(Guard).Token))
            {
                ideas.Add(idea);
                if (ideas.Count == 1)
                {
                    Assert.That(_server.Requests.Single().DoneWritten, Is.False, "the first item came before the reply ended");
                    release.SetResult();
                }
            }
        }

        Assert.That(ideas, Is.EqualTo(new[] { new Idea("soup", 20), new Idea("stew", 90) }));
    }

    [Test]
    public async Task WatchedRun_StreamsAnOrdinaryStep_AndWatchersGetItsText_WhileAnUnwatchedRunDoesNot()
    {
        _server.ReplyStream(["{\"Ok\":true,", "\"Reason\":\"fine\"}"]).ReplyContent("{\"Ok\":false,\"Reason\":\"no\"}");
        var texts = new List<ModelTextEvent>();
        using (var runtime = Open())
        {
            var events = runtime.WatchAsync();
            var reading = Task.Run(async () =>
            {
                await foreach (var e in events)
                {
                    if (e is ModelTextEvent text)
                    {
                        texts.Add(text);
                    }
                }
            });
            Assert.That(Steps.Create<Writer>().Judge("x"), Is.EqualTo(new Verdict(true, "fine")));
            runtime.Dispose();
            await reading.WaitAsync(Guard);
        }

        Assert.That(_server.Requests[0].IsStream, Is.True);
        Assert.That(texts.Select(t => t.Delta), Is.EqualTo(new[] { "{\"Ok\":true,", "\"Reason\":\"fine\"}" }));
        Assert.That(texts[0].PartialJson, Is.EqualTo("{\"Ok\":true}"));

        using (Open())
        {
            Assert.That(Steps.Create<Writer>().Judge("y").Ok, Is.False);
        }

        Assert.That(_server.Requests[1].IsStream, Is.False, "no watcher: no streaming");
    }

    [Test]
    public async Task RecipeRun_Watched_GivesEventsInOrder_EndingWithTheRun()
    {
        var events = new List<string>();
        var runtime = new Runtime(new SampleChatClient());
        var watch = runtime.WatchAsync();
        var reading = Task.Run(async () =>
        {
            await foreach (var e in watch)
            {
                if (e is not ModelTextEvent)
                {
                    events.Add(e.ToString());
                }
            }
        });
        using (runtime)
        {
            Steps.Create<RecipeWorkflow>().CreateRecipe("chicken parmesan");
        }

        await reading.WaitAsync(Guard);
        Assert.That(events[0], Is.EqualTo("StepStarted CreateRecipe:1"));
        Assert.That(events[1], Is.EqualTo("StepStarted CreateRecipe:1/DraftRecipe:1"));
        Assert.That(events[2], Is.EqualTo("StepCompleted CreateRecipe:1/DraftRecipe:1"));
        Assert.That(events[^2], Is.EqualTo("StepCompleted CreateRecipe:1"));
        Assert.That(events[^1], Is.EqualTo("RunCompleted"));
        Assert.That(events.Count(e => e.StartsWith("StepStarted", StringComparison.Ordinal)), Is.EqualTo(runtime.ExecutedSteps.Count));
    }
}
