using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Newtonsoft.Json.Linq;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;
using StreamingChatCompletionUpdate = OpenAI.Chat.StreamingChatCompletionUpdate;

namespace AgentSteps.Tests.Integration;

/// <summary>
/// Proves that <see cref="OpenAIWireServer"/> streams server-sent events the way OpenAI does and that the real
/// Microsoft.Extensions.AI.OpenAI client reads them as it reads OpenAI's: chunk by chunk, as they are sent, letting go of
/// the connection when the consumer stops or cancels. The client is called directly, without AgentSteps' runtime.
/// </summary>
public class WireStreamingTests
{
    // Only a guard so that a broken test fails instead of hanging; no test waits for it to pass.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private OpenAIWireServer _server = null!;
    private IChatClient _client = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await OpenAIWireServer.StartAsync();
        _client = RuntimeOptions.CreateOpenAIClient(null, _server.BaseUrl);
    }

    [TearDown]
    public async Task StopServer()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task ReplyStream_ChunksArriveInOrder_AndConcatenateToTheText()
    {
        _server.ReplyStream(["The ", "quick ", "brown ", "fox"]);
        using var guard = new CancellationTokenSource(Guard);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync("Tell me about the fox.", Options(), guard.Token))
        {
            updates.Add(update);
        }

        Assert.That(updates.Select(u => u.Text).Where(t => t.Length > 0), Is.EqualTo(new[] { "The ", "quick ", "brown ", "fox" }));
        var response = updates.ToChatResponse();
        Assert.That(response.Text, Is.EqualTo("The quick brown fox"));
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
        Assert.That(response.Messages.Single().Role, Is.EqualTo(ChatRole.Assistant));
        var request = _server.Requests.Single();
        Assert.That(request.IsStream, Is.True);
        Assert.That(request.DoneWritten, Is.True);
        Assert.That(request.ChunksWritten, Is.EqualTo(1 + 4 + 1 + 1), "role, four pieces, finish, usage");
        Assert.That(request.ClientDisconnected.IsCompleted, Is.False);
    }

    [Test]
    public async Task HeldStream_FirstUpdate_ArrivesBeforeTheServerSendsTheRest()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["first ", "second ", "third"], holdAfter: 1, release: release.Task);
        using var guard = new CancellationTokenSource(Guard);

        var texts = new List<string>();
        int chunksWhenFirstSeen = -1;
        bool doneWhenFirstSeen = true;
        await foreach (var update in _client.GetStreamingResponseAsync("x", Options(), guard.Token))
        {
            if (update.Text.Length == 0)
            {
                continue;
            }

            texts.Add(update.Text);
            if (texts.Count == 1)
            {
                // The server is parked on the release: what it has written is all the client can have.
                var request = _server.Requests.Single();
                chunksWhenFirstSeen = request.ChunksWritten;
                doneWhenFirstSeen = request.DoneWritten;
                release.SetResult();
            }
        }

        Assert.That(chunksWhenFirstSeen, Is.EqualTo(2), "the role chunk and the first piece, nothing more");
        Assert.That(doneWhenFirstSeen, Is.False);
        Assert.That(texts, Is.EqualTo(new[] { "first ", "second ", "third" }));
        Assert.That(_server.Requests.Single().DoneWritten, Is.True);
    }

    [Test]
    public async Task EarlyStop_ConsumerBreaksAfterTheFirstUpdate_ServerSeesTheClientGo()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["first ", "second ", "third"], holdAfter: 1, release: release.Task);
        using var guard = new CancellationTokenSource(Guard);

        string? first = null;
        await foreach (var update in _client.GetStreamingResponseAsync("x", Options(), guard.Token))
        {
            if (update.Text.Length > 0)
            {
                first = update.Text;
                break;
            }
        }

        var request = _server.Requests.Single();
        var watch = Stopwatch.StartNew();
        await request.ClientDisconnected.WaitAsync(Guard);
        await request.HandlerEnded.WaitAsync(Guard);
        TestContext.Out.WriteLine($"The server saw the client go {watch.ElapsedMilliseconds} ms after the consumer stopped.");
        Assert.That(first, Is.EqualTo("first "));
        Assert.That(request.ChunksWritten, Is.EqualTo(2), "nothing is written after the client went away");
        Assert.That(request.DoneWritten, Is.False);
        Assert.That(release.Task.IsCompleted, Is.False, "the test never released the rest");
    }

    // An early stop closes the connection at once: the client AgentSteps builds does not drain an unfinished response
    // (.NET's default reads up to 1 MB for up to 2 s first, so a stream that ended in that window was read to its end and
    // the server, a real model included, never learnt that the consumer had stopped).
    [Test]
    public async Task EarlyStop_ClosesTheConnectionAtOnce_BeforeTheServerSendsTheRest()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["first ", "second ", "third"], holdAfter: 1, release: release.Task);
        using var guard = new CancellationTokenSource(Guard);

        await foreach (var update in _client.GetStreamingResponseAsync("x", Options(), guard.Token))
        {
            if (update.Text.Length > 0)
            {
                break;
            }
        }

        var request = _server.Requests.Single();
        await request.ClientDisconnected.WaitAsync(Guard);
        release.SetResult();
        await request.HandlerEnded.WaitAsync(Guard);
        Assert.That(request.DoneWritten, Is.False, "the rest was never written: the client had gone");
    }

    [Test]
    public async Task Cancellation_MidStream_ThrowsOperationCanceled_AndServerSeesTheClientGo()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["first ", "second ", "third"], holdAfter: 1, release: release.Task);
        using var cts = new CancellationTokenSource();
        using var guard = new CancellationTokenSource(Guard);

        var texts = new List<string>();
        Assert.That(
            async () =>
            {
                await foreach (var update in _client.GetStreamingResponseAsync("x", Options(), cts.Token).WithCancellation(guard.Token))
                {
                    if (update.Text.Length > 0)
                    {
                        texts.Add(update.Text);
                        await cts.CancelAsync();
                    }
                }
            },
            Throws.InstanceOf<OperationCanceledException>());

        var request = _server.Requests.Single();
        var watch = Stopwatch.StartNew();
        await request.ClientDisconnected.WaitAsync(Guard);
        await request.HandlerEnded.WaitAsync(Guard);
        TestContext.Out.WriteLine($"The server saw the client go {watch.ElapsedMilliseconds} ms after the exception.");
        Assert.That(guard.IsCancellationRequested, Is.False, "the test's token, not the guard, ended the stream");
        Assert.That(texts, Is.EqualTo(new[] { "first " }));
        Assert.That(request.ChunksWritten, Is.EqualTo(2));
        Assert.That(request.DoneWritten, Is.False);
    }

    // Cancelled while the client waits for the next chunk (the server holds it back), as Runtime.Cancel() would land.
    [Test]
    public async Task Cancellation_WhileTheClientWaitsForTheNextChunk_ThrowsOperationCanceled_AndServerSeesTheClientGo()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ReplyStream(["first ", "second "], holdAfter: 1, release: release.Task);
        using var cts = new CancellationTokenSource();
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        guard.CancelAfter(Guard);

        var updates = _client.GetStreamingResponseAsync("x", Options(), guard.Token).GetAsyncEnumerator(guard.Token);
        try
        {
            while (await updates.MoveNextAsync() && updates.Current.Text.Length == 0)
            {
            }

            Assert.That(updates.Current.Text, Is.EqualTo("first "));
            var next = updates.MoveNextAsync();
            Assert.That(next.IsCompleted, Is.False, "the server holds the next chunk back, so the client must be waiting");
            var watch = Stopwatch.StartNew();
            await cts.CancelAsync();

            Assert.That(async () => await next, Throws.InstanceOf<OperationCanceledException>());
            var request = _server.Requests.Single();
            await request.ClientDisconnected.WaitAsync(Guard);
            await request.HandlerEnded.WaitAsync(Guard);
            TestContext.Out.WriteLine($"The server saw the client go {watch.ElapsedMilliseconds} ms after the cancellation.");
            Assert.That(request.ChunksWritten, Is.EqualTo(2));
            Assert.That(request.DoneWritten, Is.False);
        }
        finally
        {
            await updates.DisposeAsync();
        }
    }

    // Finding: Microsoft.Extensions.AI.OpenAI 10.11.0 (over OpenAI 2.14.0) asks for usage in every streamed request
    // without being told to ("stream_options": {"include_usage": true}), and the last chunk's usage surfaces as a
    // UsageContent in its own update, which ToChatResponse() turns into ChatResponse.Usage. The runtime has nothing to set.
    [Test]
    public async Task Usage_IsAskedForByDefault_AndArrivesAsUsageContent()
    {
        _server.ReplyStream(["a", "b"], promptTokens: 123, completionTokens: 45);
        using var guard = new CancellationTokenSource(Guard);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync("x", Options(), guard.Token))
        {
            updates.Add(update);
        }

        var request = _server.Requests.Single();
        Assert.That(request.IsStream, Is.True);
        Assert.That(request.IncludeUsage, Is.True);
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single();
        Assert.That(usage.Details.InputTokenCount, Is.EqualTo(123));
        Assert.That(usage.Details.OutputTokenCount, Is.EqualTo(45));
        Assert.That(usage.Details.TotalTokenCount, Is.EqualTo(168));
        Assert.That(updates.Last().Contents.OfType<UsageContent>(), Is.Not.Empty, "usage comes last, after the finish reason");
        var response = updates.ToChatResponse();
        Assert.That(response.Usage!.InputTokenCount, Is.EqualTo(123));
        Assert.That(response.Usage.OutputTokenCount, Is.EqualTo(45));
        Assert.That(response.Text, Is.EqualTo("ab"));
    }

    // A runtime that hands the client its own OpenAI options (ChatOptions.RawRepresentationFactory) still gets usage:
    // the OpenAI client sets stream_options on whatever options it is given.
    [Test]
    public async Task Usage_WithOptionsFromRawRepresentationFactory_IsStillAskedFor()
    {
        _server.ReplyStream(["a"], promptTokens: 3, completionTokens: 2);
        var options = Options();
        options.RawRepresentationFactory = _ => new ChatCompletionOptions { MaxOutputTokenCount = 33 };
        using var guard = new CancellationTokenSource(Guard);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync("x", options, guard.Token))
        {
            updates.Add(update);
        }

        var request = _server.Requests.Single();
        Assert.That((int?)request.Body["max_completion_tokens"], Is.EqualTo(33), "the factory's options reached the wire");
        Assert.That(request.IncludeUsage, Is.True);
        Assert.That(updates.ToChatResponse().Usage!.TotalTokenCount, Is.EqualTo(5));
    }

    // Finding: a streamed tool call assembles into a FunctionCallContent with its id, name and parsed arguments, but
    // unlike a non-streamed call its RawRepresentation is null: the raw arguments text is not kept on it. The text can be
    // rebuilt from the updates' RawRepresentation (OpenAI's StreamingChatCompletionUpdate, whose ToolCallUpdates carry
    // the argument pieces by call index).
    [Test]
    public async Task StreamedToolCalls_AssembleIntoFunctionCallContent_WithoutTheRawArguments()
    {
        const string Arguments = """{"amount":42,"from":"km","to":"mi"}""";
        _server.ReplyStreamToolCalls(("call_1", "convert_units", Arguments), ("call_2", "fail_always", "{}"));
        using var guard = new CancellationTokenSource(Guard);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync("Convert 42 km to miles.", Options(), guard.Token))
        {
            updates.Add(update);
        }

        var response = updates.ToChatResponse();
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToArray();
        Assert.That(calls.Select(c => (c.CallId, c.Name)), Is.EqualTo(new[] { ("call_1", "convert_units"), ("call_2", "fail_always") }));
        var arguments = calls[0].Arguments!;
        Assert.That(arguments.Keys, Is.EquivalentTo(new[] { "amount", "from", "to" }));
        Assert.That(((JsonElement)arguments["amount"]!).GetDouble(), Is.EqualTo(42));
        Assert.That(((JsonElement)arguments["from"]!).GetString(), Is.EqualTo("km"));
        Assert.That(calls[1].Arguments, Is.Empty);
        Assert.That(calls.Select(c => c.RawRepresentation), Has.All.Null, "the streamed call keeps no raw arguments");
        Assert.That(response.Usage!.InputTokenCount, Is.EqualTo(11));

        var raw = new Dictionary<int, StringBuilder>();
        foreach (var piece in updates.Select(u => u.RawRepresentation).OfType<StreamingChatCompletionUpdate>().SelectMany(u => u.ToolCallUpdates))
        {
            (raw.TryGetValue(piece.Index, out var text) ? text : raw[piece.Index] = new StringBuilder()).Append(piece.FunctionArgumentsUpdate?.ToString());
        }

        Assert.That(raw.OrderBy(p => p.Key).Select(p => p.Value.ToString()), Is.EqualTo(new[] { Arguments, "{}" }));
        var request = _server.Requests.Single();
        Assert.That(request.ChunksWritten, Is.GreaterThan(Arguments.Length / OpenAIWireServer.ArgumentPieceLength), "the arguments went in pieces");
    }

    [Test]
    public async Task ReplyContent_ToAStreamRequest_StreamsTheContentInOnePiece()
    {
        _server.ReplyContent("whole answer", promptTokens: 4, completionTokens: 2);
        using var guard = new CancellationTokenSource(Guard);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync("x", Options(), guard.Token))
        {
            updates.Add(update);
        }

        var response = updates.ToChatResponse();
        Assert.That(response.Text, Is.EqualTo("whole answer"));
        Assert.That(response.Usage!.TotalTokenCount, Is.EqualTo(6));
        Assert.That(_server.Requests.Single().DoneWritten, Is.True);
    }

    [Test]
    public async Task ReplyStream_ToANonStreamRequest_IsOneCompletionOfThePieces()
    {
        _server.ReplyStream(["Hel", "lo"], promptTokens: 5, completionTokens: 1);

        var response = await _client.GetResponseAsync("x", Options());

        Assert.That(response.Text, Is.EqualTo("Hello"));
        Assert.That(response.Usage!.InputTokenCount, Is.EqualTo(5));
        Assert.That(_server.Requests.Single().IsStream, Is.False);
        Assert.That(_server.Requests.Single().ChunksWritten, Is.Zero);
    }

    // The bytes on the wire, read without the OpenAI client: the SSE framing and, when the request does not ask for usage,
    // no usage anywhere.
    [Test]
    public async Task WireFormat_WithoutIncludeUsage_IsDataLinesEndingInDone()
    {
        _server.ReplyStream(["x", "y"]);

        var events = await PostRawAsync("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.That(events[^1], Is.EqualTo("[DONE]"));
        var chunks = events[..^1].Select(JObject.Parse).ToArray();
        Assert.That(chunks.Select(c => (string?)c["object"]), Has.All.EqualTo("chat.completion.chunk"));
        Assert.That(chunks.Select(c => c["usage"]), Has.All.Null);
        Assert.That((string?)chunks[0]["choices"]![0]!["delta"]!["role"], Is.EqualTo("assistant"));
        Assert.That(chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["content"]), Is.EqualTo(new[] { string.Empty, "x", "y", null }));
        Assert.That(chunks.Select(c => (string?)c["choices"]![0]!["finish_reason"]), Is.EqualTo(new[] { null, null, null, "stop" }));
        Assert.That(_server.Requests.Single().IncludeUsage, Is.False);
    }

    [Test]
    public async Task WireFormat_WithIncludeUsage_HasNullUsageOnEachChunkAndAFinalUsageChunk()
    {
        _server.ReplyStream(["x"], promptTokens: 9, completionTokens: 1);

        var events = await PostRawAsync("""{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");

        var chunks = events[..^1].Select(JObject.Parse).ToArray();
        Assert.That(chunks[..^1].Select(c => c["usage"]!.Type), Has.All.EqualTo(JTokenType.Null));
        var last = chunks[^1];
        Assert.That((JArray)last["choices"]!, Is.Empty);
        Assert.That((int?)last["usage"]!["prompt_tokens"], Is.EqualTo(9));
        Assert.That((int?)last["usage"]!["completion_tokens"], Is.EqualTo(1));
        Assert.That((int?)last["usage"]!["total_tokens"], Is.EqualTo(10));
        Assert.That(_server.Requests.Single().IncludeUsage, Is.True);
    }

    private async Task<string[]> PostRawAsync(string body)
    {
        using var http = new HttpClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(_server.BaseUrl + "/chat/completions"), content);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(text, Does.EndWith("\n\n"));
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(events, Has.All.StartWith("data: "));
        return events.Select(e => e["data: ".Length..]).ToArray();
    }

    private static ChatOptions Options() => new()
    {
        ModelId = "gpt-4o-mini",
        Tools = [AIFunctionFactory.CreateDeclaration("convert_units", "Converts an amount between units.", JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement)],
    };
}
