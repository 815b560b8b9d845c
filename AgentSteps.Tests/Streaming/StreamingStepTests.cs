using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests.Streaming;

public class StreamingStepTests
{
    public record Idea(string Name, int Minutes);

    public abstract class Writer
    {
        public ConcurrentQueue<int> Produced { get; } = new();

        [Step]
        public virtual async IAsyncEnumerable<int> CountAsync(int to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (int i = 1; i <= to; i++)
            {
                await Task.Yield();
                Produced.Enqueue(i);
                yield return Square(i);
            }
        }

        [Step]
        public virtual int Square(int x) => x * x;

        [Step]
        public virtual async IAsyncEnumerable<int> FailAsync()
        {
            await Task.Yield();
            yield return 1;
            throw new InvalidOperationException("ran dry");
        }

        [Step(Model = "m"), Description("Write a poem.")]
        public abstract IAsyncEnumerable<string> PoemAsync(string topic, CancellationToken cancellationToken = default);

        [Step(Model = "m"), Description("List dinner ideas.")]
        public abstract IAsyncEnumerable<Idea> IdeasAsync(string request);

        [Step]
        public virtual async Task<List<int>> ReadAsync(int to)
        {
            var all = new List<int>();
            await foreach (var x in CountAsync(to))
            {
                all.Add(x);
            }

            return all;
        }
    }

    [Test]
    public async Task CodeStream_YieldsItsItems_AndIsRecordedWithThemAndItsChildren()
    {
        using var runtime = new Runtime(new ScriptedChatClient());
        var writer = Steps.Create<Writer>();
        Assert.That(await writer.ReadAsync(3), Is.EqualTo(new[] { 1, 4, 9 }));

        var count = runtime.ExecutedSteps.Single(s => s.Name == "CountAsync");
        Assert.Multiple(() =>
        {
            Assert.That(count.Parent!.Name, Is.EqualTo("ReadAsync"));
            Assert.That(count.Key, Is.EqualTo("ReadAsync:1/CountAsync:1"));
            Assert.That(count.Result, Is.EqualTo(new[] { 1, 4, 9 }));
            Assert.That(count.Children.Select(c => c.Key), Is.EqualTo(new[] { "ReadAsync:1/CountAsync:1/Square:1", "ReadAsync:1/CountAsync:1/Square:2", "ReadAsync:1/CountAsync:1/Square:3" }));
        });
    }

    [Test]
    public async Task CodeStream_StoppedEarly_EndsTheBody_AndRecordsWhatWasYielded()
    {
        using var runtime = new Runtime(new ScriptedChatClient());
        var writer = Steps.Create<Writer>();
        await foreach (var x in writer.CountAsync(1_000_000))
        {
            if (x == 4)
            {
                break;
            }
        }

        var count = runtime.ExecutedSteps.Single(s => s.Name == "CountAsync");
        Assert.That(count.Exception, Is.Null);
        Assert.That(count.Result, Is.EqualTo(new[] { 1, 4 }), "the items the reader took, not those still in the buffer");
        Assert.That(writer.Produced.Count, Is.LessThan(100), "the body stopped, held back by the stream's small buffer");
    }

    [Test]
    public void CodeStream_ThatFails_ThrowsToTheReader_AndIsRecordedFailed()
    {
        using var runtime = new Runtime(new ScriptedChatClient());
        var writer = Steps.Create<Writer>();
        var seen = new List<int>();
        var e = Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var x in writer.FailAsync())
            {
                seen.Add(x);
            }
        });
        Assert.That(e!.Message, Is.EqualTo("ran dry"));
        Assert.That(seen, Is.EqualTo(new[] { 1 }));
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.SameAs(e));
    }

    [Test]
    public async Task StreamThatIsNeverEnumerated_RunsNothing()
    {
        using var runtime = new Runtime(new ScriptedChatClient());
        _ = Steps.Create<Writer>().CountAsync(3);
        await Task.Yield();
        Assert.That(runtime.ExecutedSteps, Is.Empty);
    }

    [Test]
    public async Task TextStream_FromTheModel_YieldsThePieces_AndRecordsTheText()
    {
        const string Poem = "Roses are red, violets are blue, streams arrive in pieces, and so do you.";
        var client = new ScriptedChatClient(Poem);
        using var runtime = new Runtime(client);
        var pieces = new List<string>();
        await foreach (var piece in Steps.Create<Writer>().PoemAsync("streams"))
        {
            pieces.Add(piece);
        }

        Assert.That(pieces, Has.Count.GreaterThan(1));
        Assert.That(string.Concat(pieces), Is.EqualTo(Poem));
        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Result, Is.EqualTo(Poem));
        Assert.That(step.ModelCalls, Is.EqualTo(1));
        Assert.That(client.Requests[0].Options!.ResponseFormat, Is.Null.Or.EqualTo(ChatResponseFormat.Text));
    }

    [Test]
    public async Task ItemStream_FromTheModel_YieldsEachItemWhenComplete()
    {
        var client = new ScriptedChatClient("""{"value":[{"Name":"soup","Minutes":20},{"Name":"stew","Minutes":90},{"Name":"salad","Minutes":5}]}""");
        using var runtime = new Runtime(client);
        var ideas = new List<Idea>();
        await foreach (var idea in Steps.Create<Writer>().IdeasAsync("dinner"))
        {
            ideas.Add(idea);
        }

        Assert.That(ideas, Is.EqualTo(new[] { new Idea("soup", 20), new Idea("stew", 90), new Idea("salad", 5) }));
        var schema = JObject.Parse(((ChatResponseFormatJson)client.Requests[0].Options!.ResponseFormat!).Schema!.Value.GetRawText());
        Assert.That((string?)schema["properties"]!["value"]!["type"], Is.EqualTo("array"));
    }

    [Test]
    public async Task ItemStream_StoppedEarly_IsRecordedWithTheItemsTheReaderTook()
    {
        var client = new ScriptedChatClient("""{"value":[{"Name":"a","Minutes":1},{"Name":"b","Minutes":2},{"Name":"c","Minutes":3},{"Name":"d","Minutes":4}]}""");
        using var runtime = new Runtime(client);
        await foreach (var idea in Steps.Create<Writer>().IdeasAsync("x"))
        {
            if (idea.Name == "b")
            {
                break;
            }
        }

        Assert.That(runtime.ExecutedSteps.Single().Result, Is.EqualTo(new[] { new Idea("a", 1), new Idea("b", 2) }));
    }

    [Test]
    public void ItemStream_WithAnInvalidItem_StopsWithStepOutputException_AfterTheValidOnes()
    {
        var client = new ScriptedChatClient("""{"value":[{"Name":"soup","Minutes":20},{"Name":"stew","Minutes":"long"}]}""");
        using var runtime = new Runtime(client);
        var ideas = new List<Idea>();
        var e = Assert.ThrowsAsync<StepOutputException>(async () =>
        {
            await foreach (var idea in Steps.Create<Writer>().IdeasAsync("dinner"))
            {
                ideas.Add(idea);
            }
        });
        Assert.That(ideas, Is.EqualTo(new[] { new Idea("soup", 20) }));
        Assert.That(e!.Errors, Has.Some.Contain("$.value[1].Minutes"));
    }

    [Test]
    public void ItemStream_ThatEndsBeforeTheArrayCloses_IsAnError()
    {
        var client = new ScriptedChatClient("""{"value":[{"Name":"soup","Minutes":20},""");
        using var runtime = new Runtime(client);
        var e = Assert.ThrowsAsync<StepOutputException>(async () =>
        {
            await foreach (var idea in Steps.Create<Writer>().IdeasAsync("dinner"))
            {
            }
        });
        Assert.That(e!.Errors, Has.Some.Contain("ended before"));
    }

    [Test]
    public async Task Middleware_ThatAnswersAStreamFromACache_YieldsTheCachedItems()
    {
        var options = new RuntimeOptions { ChatClient = new ScriptedChatClient() };
        options.Use((context, next) => context.Info.Name == "CountAsync" ? ValueTask.FromResult<object?>(new List<int> { 7, 8 }) : next(context));
        using var runtime = new Runtime(options);
        var items = new List<int>();
        await foreach (var x in Steps.Create<Writer>().CountAsync(3))
        {
            items.Add(x);
        }

        Assert.That(items, Is.EqualTo(new[] { 7, 8 }));
    }

    [Test]
    public async Task WatcherThatNeverReads_DoesNotHoldTheRunBack_AndStillGetsEveryStepEvent()
    {
        var reply = new string('a', 40_000);   // streamed in pieces of 16 characters: 2,500 text events
        var runtime = new Runtime(new ScriptedChatClient(reply));
        var events = runtime.WatchAsync();     // registered, not read until the run is over
        using (runtime)
        {
            await foreach (var piece in Steps.Create<Writer>().PoemAsync("long"))
            {
            }
        }

        var kinds = new List<RunEventKind>();
        await foreach (var e in events.WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            kinds.Add(e.Kind);
        }

        Assert.That(kinds.Count(k => k == RunEventKind.ModelText), Is.LessThanOrEqualTo(1000).And.GreaterThan(0));
        Assert.That(kinds.Where(k => k != RunEventKind.ModelText), Is.EqualTo(new[] { RunEventKind.StepStarted, RunEventKind.StepCompleted, RunEventKind.RunCompleted }));
    }

    [Test]
    public async Task WatchedRun_StreamsEveryLlmStep_WithPartialJsonThatAlwaysParses()
    {
        var client = new ScriptedChatClient("""{"value":[{"Name":"soup \"hot\"","Minutes":20},{"Name":"stew","Minutes":90}]}""");
        var runtime = new Runtime(client);
        var events = runtime.WatchAsync();
        var texts = new List<ModelTextEvent>();
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
        using (runtime)
        {
            await foreach (var idea in Steps.Create<Writer>().IdeasAsync("dinner"))
            {
            }
        }

        await reading.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(texts, Has.Count.GreaterThan(3));
        Assert.That(string.Concat(texts.Select(t => t.Delta)), Is.EqualTo(texts[^1].Text));
        foreach (var text in texts)
        {
            Assert.DoesNotThrow(() => JToken.Parse(text.PartialJson!), text.PartialJson ?? "(null)");
        }

        Assert.That(JToken.DeepEquals(JToken.Parse(texts[^1].PartialJson!), JToken.Parse(texts[^1].Text)), Is.True);
    }
}
