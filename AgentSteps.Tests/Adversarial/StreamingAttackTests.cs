using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentSteps.Pipeline;

namespace AgentSteps.Tests;

/// <summary>Hostile streams, faults and odd consumers against streaming steps, partial JSON and run events.</summary>
public class StreamingAttackTests
{
    /// <summary>A chat client that streams fixed chunks; an optional gate holds the stream after a chunk index until released.</summary>
    private sealed class ChunkClient(IReadOnlyList<string> chunks, int holdAfter = -1, UsageDetails? usage = null, Exception? failAtEnd = null) : IChatClient
    {
        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Concat(chunks))) { FinishReason = ChatFinishReason.Stop });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            StreamAsync(cancellationToken);

        private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            try
            {
                for (int i = 0; i < chunks.Count; i++)
                {
                    await Task.Yield();
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return new ChatResponseUpdate(ChatRole.Assistant, chunks[i]);
                    if (i == holdAfter)
                    {
                        Held.TrySetResult();
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                }

                if (failAtEnd is not null)
                {
                    throw failAtEnd;
                }

                var last = new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop };
                if (usage is not null)
                {
                    last.Contents.Add(new UsageContent(usage));
                }

                yield return last;
            }
            finally
            {
                Ended.TrySetResult();
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    public abstract class Streamer
    {
        [Step(Model = "m"), Description("Numbers.")]
        public abstract IAsyncEnumerable<int> NumbersAsync(string request);

        [Step(Model = "m"), Description("Text.")]
        public abstract IAsyncEnumerable<string> TextAsync(string request);

        [Step(Model = "m", TimeoutSeconds = 5), Description("Slow text.")]
        public abstract IAsyncEnumerable<string> SlowAsync(string request);

        [Step(MaxModelCalls = 1)]
        public virtual async IAsyncEnumerable<string> TwoTextsAsync()
        {
            await foreach (var piece in TextAsync("first"))
            {
                yield return piece;
            }

            await foreach (var piece in TextAsync("second"))
            {
                yield return piece;
            }
        }

        [Step(Model = "m", MaxReplyLength = 1000), Description("Few numbers.")]
        public abstract IAsyncEnumerable<int> FewAsync(string request);
    }

    private static async Task<List<T>> ReadAll<T>(IAsyncEnumerable<T> stream)
    {
        var items = new List<T>();
        await foreach (var item in stream)
        {
            items.Add(item);
        }

        return items;
    }

    // ---------------------------------------------------------------- partial JSON

    private static void AssertEveryPrefixClosesIntoJson(string document, int chunkSize)
    {
        var text = new StreamedText(json: true);
        for (int i = 0; i < document.Length; i += chunkSize)
        {
            text.Append(document.Substring(i, Math.Min(chunkSize, document.Length - i)));
            var snapshot = text.Take();
            if (snapshot.Failed)
            {
                continue;
            }

            var closed = snapshot.Close();
            try
            {
                using var parsed = JsonDocument.Parse(closed);
            }
            catch (JsonException e)
            {
                Assert.Fail($"prefix {i + chunkSize} of {document} closed into '{closed}', which does not parse: {e.Message}");
            }
        }
    }

    // Valid documents: every prefix must close into JSON, and the whole must not be reported as failed.
    [TestCase("""{"a":"caf\u00e9 \"q\" \\ \/ \b\f\n\r\t","b":[true,false,null,-1.5e+3,0,1E-2]}""")]
    [TestCase("""  {  "k\"ey" :  [ 1 , { "x" : "y" } ] , "n" : -0.0 }  """)]
    [TestCase("""["\ud83d\ude00", "\u0041\u00e9"]""")]
    public void PartialJson_OfAValidDocument_AlwaysParses_AtEverySplit(string document)
    {
        foreach (int size in new[] { 1, 2, 3, 5, 7 })
        {
            AssertEveryPrefixClosesIntoJson(document, size);
        }

        var whole = new StreamedText(json: true);
        foreach (char c in document)
        {
            whole.Append(c.ToString());
        }

        Assert.That(whole.Failed, Is.False);
        Assert.That(whole.IsComplete, Is.True);
    }

    [Test]
    public void PartialJson_DeepNesting_Over64_IsFailedNotBroken()
    {
        var document = new string('[', 70) + new string(']', 70);
        AssertEveryPrefixClosesIntoJson(document, 1);
        var text = new StreamedText(json: true);
        text.Append(document);
        Assert.That(text.Failed, Is.True);
    }

    [Test]
    public void PartialJson_GarbageAfterTheRoot_IsFailed()
    {
        var text = new StreamedText(json: true);
        text.Append("""{"a":1} trailing""");
        Assert.That(text.Failed, Is.True);
    }

    // Invalid documents a hostile model may send: the partial view must either be withheld (Failed) or still parse.
    [TestCase("[1,]")]
    [TestCase("""{"a":1,}""")]
    [TestCase("""{"a":"bad \x escape"}""")]
    [TestCase("{\"a\":\"raw\nnewline\"}")]
    [TestCase("""{"a":01}""")]
    [TestCase("""{"a":1.e5}""")]
    [TestCase("""{"a":-.5}""")]
    [TestCase("""{"a":[1,2],}""")]
    [TestCase("""``{"a":1}""")]
    public void PartialJson_OfAHostileDocument_IsWithheldOrParses(string document)
    {
        AssertEveryPrefixClosesIntoJson(document, 1);
        AssertEveryPrefixClosesIntoJson(document, document.Length);
    }

    [Test]
    public void PartialJson_HugeSingleChunk_And100000TinyChunks_Agree()
    {
        var sb = new System.Text.StringBuilder("{\"value\":[");
        for (int i = 0; i < 20_000; i++)
        {
            sb.Append(i == 0 ? "" : ",").Append("{\"s\":\"x\\u00e9\"}");
        }

        sb.Append("]}");
        var document = sb.ToString();
        var once = new StreamedText(json: true, itemDepth: 2);
        int itemsOnce = 0;
        once.Append(document, _ => itemsOnce++);
        var tiny = new StreamedText(json: true, itemDepth: 2);
        int itemsTiny = 0;
        for (int i = 0; i < document.Length; i++)
        {
            tiny.Append(document[i].ToString(), _ => itemsTiny++);
        }

        Assert.That(document.Length, Is.GreaterThan(100_000));
        Assert.That((itemsOnce, itemsTiny), Is.EqualTo((20_000, 20_000)));
        Assert.That(once.IsComplete && tiny.IsComplete, Is.True);
        using var parsed = JsonDocument.Parse(tiny.Take().Close());
    }

    // ---------------------------------------------------------------- item streams of hostile shape

    [Test]
    public void ItemStream_ItemsFromAnArrayUnderAnotherKey_AreNotYielded()
    {
        var client = new ChunkClient(["{\"junk\":[666,667],", "\"value\":[1,2]}"]);
        using var runtime = new Runtime(client);
        List<int>? items = null;
        try
        {
            items = ReadAll(Steps.Create<Streamer>().NumbersAsync("n")).GetAwaiter().GetResult();
        }
        catch (StepOutputException)
        {
            // refusing the reply is also acceptable
        }

        Assert.That(items ?? [], Has.No.Member(666), "items of an array that is not the 'value' array were yielded as the step's items");
    }

    [Test]
    public void ItemStream_ReplyThatIsANestedArray_IsAnError()
    {
        var client = new ChunkClient(["[[1,", "2]]"]);
        using var runtime = new Runtime(client);
        Assert.ThrowsAsync<StepOutputException>(() => ReadAll(Steps.Create<Streamer>().NumbersAsync("n")));
    }

    [Test]
    public void ItemStream_WhoseValueIsNotAnArray_IsAnError()
    {
        var client = new ChunkClient(["{\"value\":", "5}"]);
        using var runtime = new Runtime(client);
        Assert.ThrowsAsync<StepOutputException>(() => ReadAll(Steps.Create<Streamer>().NumbersAsync("n")));
    }

    [Test]
    public void ItemStream_WithTheValueKeyTwice_IsAnError()
    {
        var client = new ChunkClient(["{\"value\":[1],", "\"value\":[2]}"]);
        using var runtime = new Runtime(client);
        Assert.ThrowsAsync<StepOutputException>(() => ReadAll(Steps.Create<Streamer>().NumbersAsync("n")));
    }

    [Test]
    public void ItemStream_LongerThanMaxReplyLength_IsRefused_WithTheItemsBefore()
    {
        var chunks = new List<string> { "{\"value\":[" };
        for (int i = 0; i < 10_000; i++)
        {
            chunks.Add((i == 0 ? "" : ",") + "12345678");
        }

        chunks.Add("]}");
        var client = new ChunkClient(chunks);
        using var runtime = new Runtime(client);
        var seen = new List<int>();
        var e = Assert.CatchAsync<AgentStepsException>(async () =>
        {
            await foreach (var x in Steps.Create<Streamer>().FewAsync("n"))
            {
                seen.Add(x);
            }
        });
        Assert.That(e, Is.Not.Null);
        Assert.That(seen, Has.Count.GreaterThan(50).And.Count.LessThan(120), "the items before the limit were yielded, none after");
        Assert.That(client.Ended.Task.IsCompleted, Is.True, "the model call ended");
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.SameAs(e));
    }

    // ---------------------------------------------------------------- odd consumers

    [Test]
    public async Task Stream_StoppedEarly_ThenDisposedTwice_DoesNotThrow_AndEndsTheModelCall()
    {
        var client = new ChunkClient(["a", "b", "c"], holdAfter: 0);
        using var runtime = new Runtime(client);
        var enumerator = Steps.Create<Streamer>().TextAsync("t").GetAsyncEnumerator();
        Assert.That(await enumerator.MoveNextAsync(), Is.True);
        await client.Held.Task;
        await enumerator.DisposeAsync();
        Assert.DoesNotThrowAsync(async () => await enumerator.DisposeAsync());
        await client.Ended.Task;
        Assert.That(runtime.ExecutedSteps.Single().Result, Is.EqualTo("a"));
    }

    [Test]
    public async Task Stream_EnumeratedTwice_RunsTheStepTwice_WithDistinctKeys()
    {
        var client = new ChunkClient(["x", "y"]);
        using var runtime = new Runtime(client);
        var stream = Steps.Create<Streamer>().TextAsync("t");
        Assert.That(string.Concat(await ReadAll(stream)), Is.EqualTo("xy"));
        Assert.That(string.Concat(await ReadAll(stream)), Is.EqualTo("xy"));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Key).Distinct().Count(), Is.EqualTo(2));
    }

    // ---------------------------------------------------------------- cancellation and time limits

    [Test]
    public async Task RunCancel_DuringAHeldStream_EndsIt_AndRecordsTheCancellation()
    {
        var client = new ChunkClient(["a", "b"], holdAfter: 0);
        using var runtime = new Runtime(client);
        var reading = ReadAll(Steps.Create<Streamer>().TextAsync("t"));
        await client.Held.Task;
        runtime.Cancel();
        Assert.CatchAsync<OperationCanceledException>(() => reading);
        await client.Ended.Task;
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void PreCancelledRun_WithAStreamingStep_CallsNoModel()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var client = new ChunkClient(["a"]);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, CancellationToken = cts.Token });
        Assert.CatchAsync<OperationCanceledException>(() => ReadAll(Steps.Create<Streamer>().TextAsync("t")));
        Assert.That(client.Calls, Is.Zero);
    }

    // ---------------------------------------------------------------- watchers and observers

    [Test]
    public async Task WatcherThatNeverReads_10000TextEvents_RunCompletes_AndLifecycleEventsStillArrive()
    {
        var chunks = Enumerable.Range(0, 10_000).Select(i => "w").ToList();
        var client = new ChunkClient(chunks);
        var runtime = new Runtime(client);
        var events = runtime.WatchAsync();
        var text = string.Concat(await ReadAll(Steps.Create<Streamer>().TextAsync("t")));
        Assert.That(text, Has.Length.EqualTo(10_000));
        runtime.Dispose();

        var kinds = new List<RunEventKind>();
        await foreach (var e in events)
        {
            kinds.Add(e.Kind);
        }

        Assert.That(kinds.Count(k => k == RunEventKind.ModelText), Is.LessThanOrEqualTo(RunEventHub.Capacity), "the buffer of a slow watcher is bounded");
        Assert.That(kinds, Does.Contain(RunEventKind.StepStarted));
        Assert.That(kinds[^1], Is.EqualTo(RunEventKind.RunCompleted));
    }

    private sealed class ThrowingObserver : IRunObserver
    {
        public int Seen;

        public void OnModelText(ModelTextEvent modelText)
        {
            Interlocked.Increment(ref Seen);
            throw new InvalidOperationException("observer boom");
        }
    }

    [Test]
    public async Task ObserverThatThrowsInOnModelText_DoesNotBreakTheStream()
    {
        var client = new ChunkClient(["a", "b", "c"]);
        var observer = new ThrowingObserver();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, Observers = { observer } });
        Assert.That(string.Concat(await ReadAll(Steps.Create<Streamer>().TextAsync("t"))), Is.EqualTo("abc"));
        Assert.That(observer.Seen, Is.EqualTo(3));
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.Null);
    }

    [Test]
    public void PartialJson_EmojiSplitBetweenChunks_StillParses()
    {
        var text = new StreamedText(json: true);
        text.Append("{\"a\":\"x\ud83d"); // a raw emoji whose pair is split between two chunks
        var closed = text.Take().Close();
        if (!text.Take().Failed)
        {
            Assert.DoesNotThrow(() => JsonDocument.Parse(closed).Dispose(), closed);
        }

        text.Append("\ude00\"}");
        Assert.That(text.IsComplete, Is.True);
    }

    [Test]
    public async Task TimeoutSeconds_OnAStreamingStep_StopsTheStream_AndRecordsStepTimeoutException()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var client = new ChunkClient(["a", "b"], holdAfter: 0);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, TimeProvider = clock });
        var seen = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var piece in Steps.Create<Streamer>().SlowAsync("t"))
            {
                seen.Add(piece);
            }
        });
        await client.Held.Task;
        clock.Advance(TimeSpan.FromSeconds(5));
        var e = Assert.ThrowsAsync<StepTimeoutException>(() => reading);
        await client.Ended.Task;
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.SameAs(e));
    }

    [Test]
    public async Task MaxConcurrentModelCalls_StreamHoldsItsSlotUntilItEnds_AndAnEarlyStopFreesIt()
    {
        var client = new ChunkClient(["a", "b"], holdAfter: 0);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 1 });
        var gate = runtime.Configuration.ModelCallGate!;
        var enumerator = Steps.Create<Streamer>().TextAsync("t").GetAsyncEnumerator();
        Assert.That(await enumerator.MoveNextAsync(), Is.True);
        await client.Held.Task;
        Assert.That(gate.CurrentCount, Is.Zero, "the stream holds the slot while it runs");
        await enumerator.DisposeAsync();
        Assert.That(gate.CurrentCount, Is.EqualTo(1), "stopping early gave the slot back");
    }

    [Test]
    public async Task MaxConcurrentModelCalls_CancelledWaitForASlot_FreesNothing()
    {
        var client = new ChunkClient(["a", "b"], holdAfter: 0);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 1 });
        var gate = runtime.Configuration.ModelCallGate!;
        var first = Steps.Create<Streamer>().TextAsync("t").GetAsyncEnumerator();
        Assert.That(await first.MoveNextAsync(), Is.True);
        await client.Held.Task;
        using var cts = new CancellationTokenSource();
        var second = Steps.Create<Streamer>().TextAsync("u").GetAsyncEnumerator(cts.Token);
        var waiting = second.MoveNextAsync().AsTask();
        cts.Cancel();
        Assert.CatchAsync<OperationCanceledException>(() => waiting);
        await second.DisposeAsync();
        Assert.That(gate.CurrentCount, Is.Zero, "the cancelled wait released no slot it did not hold");
        await first.DisposeAsync();
        Assert.That(gate.CurrentCount, Is.EqualTo(1));
        Assert.That(client.Calls, Is.EqualTo(1));
        Assert.That(runtime.Usage.ModelCalls, Is.EqualTo(1), "a call that never got a slot was never made, and is not counted as made");
    }

    [Test]
    public async Task StreamingUsage_IsCounted_InRuntimeUsage()
    {
        var client = new ChunkClient(["a", "b"], usage: new UsageDetails { InputTokenCount = 7, OutputTokenCount = 3, TotalTokenCount = 10 });
        using var runtime = new Runtime(client);
        await ReadAll(Steps.Create<Streamer>().TextAsync("t"));
        var usage = runtime.Usage;
        Assert.That((usage.ModelCalls, usage.InputTokens, usage.OutputTokens, usage.TotalTokens), Is.EqualTo((1, 7L, 3L, 10L)));
        Assert.That(usage.IsCostComplete, Is.False, "no price for model m: the cost is not a silent zero");
        Assert.That(usage.ModelsWithoutPrice, Does.Contain("m"));
    }

    [Test]
    public void Budget_OfZeroModelCalls_StreamingStepCallsNoModel()
    {
        var client = new ChunkClient(["a"]);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, Budget = new RunBudget { MaxModelCalls = 0 } });
        var e = Assert.CatchAsync<BudgetExceededException>(() => ReadAll(Steps.Create<Streamer>().TextAsync("t")));
        Assert.That(client.Calls, Is.Zero);
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.SameAs(e));
    }

    [Test]
    [NonParallelizable]
    public async Task SecretInAStreamedProviderError_NeverReachesTraceOrEvents()
    {
        const string Key = "sk-stream-secret-0123456789abcdef";
        AgentSteps.Internal.Redaction.Register(Key);
        var client = new ChunkClient(["a"], failAtEnd: new HttpRequestException($"401 from upstream: key {Key} is not valid"));
        var runtime = new Runtime(client);
        var events = runtime.WatchAsync();
        Assert.CatchAsync<Exception>(() => ReadAll(Steps.Create<Streamer>().TextAsync("t")));
        var json = runtime.ToJson();
        var tree = runtime.FormatTree();
        runtime.Dispose();
        var seen = new List<string>();
        await foreach (var e in events)
        {
            if (e.Step?.Exception is not null)
            {
                seen.Add(e.Step?.Exception?.Message ?? string.Empty);
            }
        }

        Assert.That(json, Does.Not.Contain(Key));
        Assert.That(tree, Does.Not.Contain(Key));
        Assert.That(string.Join("\n", seen), Does.Not.Contain(Key));
    }

    [Test]
    public async Task Budget_TwoParallelStreamsRacingTheLastCall_OnlyOneModelCall()
    {
        var client = new ChunkClient(["a", "b"], holdAfter: 0);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, Budget = new RunBudget { MaxModelCalls = 1 } });
        var first = Steps.Create<Streamer>().TextAsync("t").GetAsyncEnumerator();
        Assert.That(await first.MoveNextAsync(), Is.True);
        await client.Held.Task;
        Assert.CatchAsync<BudgetExceededException>(() => ReadAll(Steps.Create<Streamer>().TextAsync("u")));
        await first.DisposeAsync();
        Assert.That(client.Calls, Is.EqualTo(1));
    }

    [Test]
    public async Task Events_OfParallelStreams_AreInOrderPerStep()
    {
        var client = new ChunkClient(Enumerable.Range(0, 50).Select(i => "c" + i).ToList());
        var runtime = new Runtime(client);
        var events = runtime.WatchAsync();
        var collected = new List<RunEvent>();
        var reading = Task.Run(async () =>
        {
            await foreach (var e in events)
            {
                collected.Add(e);
            }
        });
        var streamer = Steps.Create<Streamer>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => ReadAll(streamer.TextAsync("t" + i))));
        runtime.Dispose();
        await reading;

        Assert.That(collected[^1].Kind, Is.EqualTo(RunEventKind.RunCompleted));
        foreach (var group in collected.Where(e => e.Step is not null).GroupBy(e => e.Step!.Key))
        {
            var kinds = group.Select(e => e.Kind).ToList();
            Assert.That(kinds[0], Is.EqualTo(RunEventKind.StepStarted), group.Key);
            Assert.That(kinds[^1], Is.EqualTo(RunEventKind.StepCompleted), group.Key);
            Assert.That(kinds.Count(k => k == RunEventKind.ModelText), Is.EqualTo(50), group.Key);
            var texts = group.OfType<ModelTextEvent>().Select(t => t.Text.Length).ToList();
            Assert.That(texts, Is.Ordered, group.Key);
        }

        Assert.That(collected.Where(e => e.Step is not null).Select(e => e.Step!.Key).Distinct().Count(), Is.EqualTo(8));
    }

    [Test]
    public async Task Watchers_ManyOfThem_OneCancelsEarly_AllOthersGetTheEnd_AndALateOneToo()
    {
        var client = new ChunkClient(["a", "b", "c"]);
        var runtime = new Runtime(client);
        var watchers = Enumerable.Range(0, 50).Select(_ => runtime.WatchAsync()).ToList();
        using var cts = new CancellationTokenSource();
        var quitter = runtime.WatchAsync(cts.Token).GetAsyncEnumerator();
        cts.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => await quitter.MoveNextAsync());
        await quitter.DisposeAsync();

        Assert.That(string.Concat(await ReadAll(Steps.Create<Streamer>().TextAsync("t"))), Is.EqualTo("abc"));
        runtime.Dispose();
        foreach (var watcher in watchers)
        {
            var all = await ReadAll(watcher);
            Assert.That(all[^1].Kind, Is.EqualTo(RunEventKind.RunCompleted));
            Assert.That(all.Count(e => e.Kind == RunEventKind.ModelText), Is.EqualTo(3));
        }

        var late = await ReadAll(runtime.WatchAsync());
        Assert.That(late.Select(e => e.Kind), Is.EqualTo(new[] { RunEventKind.RunCompleted }));
    }

    [Test]
    public void StreamedText_100000TinyChunks_AllocatesLinearly()
    {
        var text = new StreamedText(json: true);
        text.Append("{\"a\":\"");
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            text.Append("x");
            _ = text.Take();
        }

        text.Append("\",\"n\":");
        for (int i = 0; i < 100_000; i++)
        {
            text.Append("7"); // one long number, digit by digit: each digit is read once
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        text.Append("}");
        Assert.That(text.IsComplete, Is.True);
        Assert.That(allocated, Is.LessThan(200_000 * 16), "a buffer that doubles costs a few bytes per character, not a copy per chunk");
    }

    [Test]
    public async Task ItemStream_ReplyInAFencedCodeBlock_YieldsItsItems_AsAWholeReplyWouldBeRead()
    {
        var client = new ChunkClient(["\uFEFF``", "`json\n{\"value\":", "[1,2", ",3]}\n``", "`\n"]);
        using var runtime = new Runtime(client);
        Assert.That(await ReadAll(Steps.Create<Streamer>().NumbersAsync("n")), Is.EqualTo(new[] { 1, 2, 3 }));
    }

    [Test]
    public void PartialJson_OfAFencedReply_IsGiven_AndParses()
    {
        const string Reply = "```json\n{\"a\": [1, \"two\"]}\n```";
        var text = new StreamedText(json: true);
        var closedOnes = new List<string>();
        foreach (char c in Reply)
        {
            text.Append(c.ToString());
            Assert.That(text.Failed, Is.False, "a fenced reply is read as ReplyText reads a whole reply");
            closedOnes.Add(text.Take().Close());
        }

        foreach (var closed in closedOnes)
        {
            Assert.DoesNotThrow(() => JsonDocument.Parse(closed).Dispose(), closed);
        }

        Assert.That(closedOnes[^1], Is.EqualTo("{\"a\": [1, \"two\"]}"));
        Assert.That(text.IsComplete, Is.True);
    }

    [Test]
    public async Task StepBudget_OnACodeStream_RefusesTheSecondModelCallOfItsSubtree()
    {
        var client = new ChunkClient(["a"]);
        using var runtime = new Runtime(client);
        var seen = new List<string>();
        var e = Assert.CatchAsync<BudgetExceededException>(async () =>
        {
            await foreach (var piece in Steps.Create<Streamer>().TwoTextsAsync())
            {
                seen.Add(piece);
            }
        });
        await Task.Yield();
        Assert.That(seen, Is.EqualTo(new[] { "a" }));
        Assert.That(client.Calls, Is.EqualTo(1));
        var outer = runtime.ExecutedSteps.Single(s => s.Name == "TwoTextsAsync");
        Assert.That(outer.Exception, Is.InstanceOf<BudgetExceededException>());
    }

    [Test]
    public async Task ConsumerToken_CancelledBeforeTheFirstItem_CallsNoModel_AndCancelledMidStream_EndsTheCall()
    {
        var client = new ChunkClient(["a", "b"], holdAfter: 0);
        using var runtime = new Runtime(client);
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            var early = Steps.Create<Streamer>().TextAsync("t").GetAsyncEnumerator(cancelled.Token);
            Assert.CatchAsync<OperationCanceledException>(async () => await early.MoveNextAsync());
            await early.DisposeAsync();
            Assert.That(client.Calls, Is.Zero, "a stream whose reader was cancelled before it asked for an item calls no model");
        }

        using var cts = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            await foreach (var piece in Steps.Create<Streamer>().TextAsync("u").WithCancellation(cts.Token))
            {
            }
        });
        await client.Held.Task;
        cts.Cancel();
        Assert.CatchAsync<OperationCanceledException>(() => reading);
        await client.Ended.Task;
        Assert.That(runtime.ExecutedSteps[^1].Exception, Is.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task StreamCutByRunCancel_AfterTextArrived_IsNotReportedAsCompleteUsage()
    {
        var client = new ChunkClient(["a", "b"], holdAfter: 0);
        using var runtime = new Runtime(client);
        var reading = ReadAll(Steps.Create<Streamer>().TextAsync("t"));
        await client.Held.Task;
        runtime.Cancel();
        Assert.CatchAsync<OperationCanceledException>(() => reading);
        var usage = runtime.Usage;
        Assert.That(usage.ModelCalls, Is.EqualTo(1));
        Assert.That(usage.CallsWithoutUsage, Is.EqualTo(1), "the provider sent (and bills) text for this call, whose usage never came: the usage is not complete");
        Assert.That(usage.IsCostComplete, Is.False);
    }

    [Test]
    public async Task ItemStreamCutByMaxReplyLength_IsNotReportedAsCompleteUsage()
    {
        var chunks = new List<string> { "{\"value\":[" };
        chunks.AddRange(Enumerable.Range(0, 500).Select(i => (i == 0 ? "" : ",") + "12345678"));
        var client = new ChunkClient(chunks);
        using var runtime = new Runtime(client);
        Assert.CatchAsync<AgentStepsException>(() => ReadAll(Steps.Create<Streamer>().FewAsync("n")));
        await Task.Yield();
        Assert.That(runtime.Usage.CallsWithoutUsage, Is.EqualTo(1));
    }

    [Test]
    public async Task ItemStream_ValueKeyNestedDeeper_IsNotTheItemArray()
    {
        var client = new ChunkClient(["{\"meta\":{\"value\":[9]},", "\"value\":[1,2]}"]);
        using var runtime = new Runtime(client);
        Assert.That(await ReadAll(Steps.Create<Streamer>().NumbersAsync("n")), Is.EqualTo(new[] { 1, 2 }));
    }
}
