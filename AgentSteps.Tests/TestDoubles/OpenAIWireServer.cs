using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests.TestDoubles;

/// <summary>
/// A real HTTP server on 127.0.0.1 (random port) speaking the OpenAI chat-completions protocol. Each request takes the
/// next scripted handler; every request body and its headers are recorded.
/// </summary>
public sealed class OpenAIWireServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _handlers = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private OpenAIWireServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public static async Task<OpenAIWireServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new OpenAIWireServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/') + "/v1";
        return server;
    }

    public OpenAIWireServer Reply(Func<HttpContext, Task> handler)
    {
        _handlers.Enqueue(handler);
        return this;
    }

    /// <summary>
    /// Answers with a completion whose content <paramref name="content"/> makes from the request being answered, for
    /// concurrent requests whose order of arrival a test cannot know.
    /// </summary>
    /// <remarks>A request with <c>"stream": true</c> gets the same content as server-sent events, in one piece.</remarks>
    public OpenAIWireServer ReplyContent(Func<RecordedRequest, string> content) =>
        Reply(context =>
        {
            var text = content(RequestOf(context));
            return RequestOf(context).IsStream
                ? WriteStreamAsync(context, TextStream([text], refusal: null, "stop", 11, 7))
                : WriteJsonAsync(context, 200, Completion(text));
        });

    /// <summary>Answers with a completion whose message content is <paramref name="content"/>.</summary>
    /// <remarks>
    /// A request with <c>"stream": true</c> gets the same reply as server-sent events: the content (and any refusal) in
    /// one piece; see <see cref="ReplyStream"/> for the shape.
    /// </remarks>
    public OpenAIWireServer ReplyContent(string? content, string finishReason = "stop", string? refusal = null, int promptTokens = 11, int completionTokens = 7) =>
        Reply(context => RequestOf(context).IsStream
            ? WriteStreamAsync(context, TextStream(content is null ? [] : [content], refusal, finishReason, promptTokens, completionTokens))
            : WriteJsonAsync(context, 200, Completion(content, finishReason, refusal, promptTokens, completionTokens)));

    /// <summary>
    /// Answers a request with <c>"stream": true</c> as OpenAI streams a completion: <c>text/event-stream</c>, each event
    /// a <c>data: {chat.completion.chunk}</c> line and a blank line, written and flushed one at a time. The first chunk
    /// carries <c>delta.role</c> "assistant" with empty content; then one chunk per piece of
    /// <paramref name="chunks"/> (<c>choices[0].delta.content</c>); then a chunk with an empty delta and
    /// <paramref name="finishReason"/>; when the request asked for <c>stream_options.include_usage</c>, every chunk
    /// has <c>"usage": null</c> and a last chunk has empty <c>choices</c> and the usage; then <c>data: [DONE]</c>.
    /// A request without <c>"stream": true</c> gets one completion of the pieces joined, as OpenAI would answer it.
    /// </summary>
    /// <param name="chunks">The content pieces, in order.</param>
    /// <param name="finishReason">The last chunk's finish reason.</param>
    /// <param name="promptTokens">The usage's prompt tokens.</param>
    /// <param name="completionTokens">The usage's completion tokens.</param>
    /// <param name="holdAfter">
    /// When set with <paramref name="release"/>: the number of pieces (after the role chunk) sent before the server
    /// waits for <paramref name="release"/>. A non-streaming request waits for it before any answer.
    /// </param>
    /// <param name="release">
    /// The task the server awaits after <paramref name="holdAfter"/> pieces; it sends the rest when it completes. If the
    /// client goes away first the server stops and writes nothing more (<see cref="RecordedRequest.ClientDisconnected"/>).
    /// </param>
    public OpenAIWireServer ReplyStream(IEnumerable<string> chunks, string finishReason = "stop", int promptTokens = 11, int completionTokens = 7, int holdAfter = 0, Task? release = null)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var pieces = chunks.ToArray();
        return Reply(async context =>
        {
            if (RequestOf(context).IsStream)
            {
                await WriteStreamAsync(context, TextStream(pieces, refusal: null, finishReason, promptTokens, completionTokens), holdAfter, release);
            }
            else if (await HoldAsync(context, release))
            {
                await WriteJsonAsync(context, 200, Completion(string.Concat(pieces), finishReason, refusal: null, promptTokens, completionTokens));
            }
        });
    }

    /// <summary>
    /// Answers a request with <c>"stream": true</c> with tool calls streamed as OpenAI streams them: for each call, a
    /// chunk whose <c>delta.tool_calls[0]</c> has the call's <c>index</c>, <c>id</c>, <c>type</c> "function",
    /// <c>function.name</c> and empty <c>function.arguments</c> (the first of these chunks also carries
    /// <c>delta.role</c> "assistant" and <c>content</c> null), then one chunk per piece of its arguments with only
    /// <c>index</c> and <c>function.arguments</c>; then a chunk with an empty delta and finish reason "tool_calls"; the
    /// usage chunk when asked for; <c>data: [DONE]</c>. A request without <c>"stream": true</c> gets
    /// <see cref="ToolCallCompletion"/> of the joined arguments.
    /// </summary>
    /// <param name="calls">The calls: id, function name, and the arguments' JSON text in the pieces to send.</param>
    /// <param name="promptTokens">The usage's prompt tokens.</param>
    /// <param name="completionTokens">The usage's completion tokens.</param>
    /// <param name="holdAfter">When set with <paramref name="release"/>: the number of tool-call chunks sent before the hold.</param>
    /// <param name="release">See <see cref="ReplyStream"/>.</param>
    public OpenAIWireServer ReplyStreamToolCalls(IEnumerable<(string Id, string Name, IEnumerable<string> ArgumentPieces)> calls, int promptTokens = 11, int completionTokens = 7, int holdAfter = 0, Task? release = null)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var scripted = calls.Select(c => (c.Id, c.Name, Pieces: c.ArgumentPieces.ToArray())).ToArray();
        return Reply(async context =>
        {
            if (RequestOf(context).IsStream)
            {
                await WriteStreamAsync(context, ToolCallStream(scripted, promptTokens, completionTokens), holdAfter, release);
            }
            else if (await HoldAsync(context, release))
            {
                await WriteJsonAsync(context, 200, ToolCallCompletion(scripted.Select(c => (c.Id, c.Name, string.Concat(c.Pieces))), content: null, promptTokens, completionTokens));
            }
        });
    }

    /// <summary>
    /// <see cref="ReplyStreamToolCalls(IEnumerable{ValueTuple{string, string, IEnumerable{string}}}, int, int, int, Task?)"/>
    /// with each call's arguments cut into pieces of at most <see cref="ArgumentPieceLength"/> characters.
    /// </summary>
    public OpenAIWireServer ReplyStreamToolCalls(params (string Id, string Name, string ArgumentsJson)[] calls) =>
        ReplyStreamToolCalls(calls.Select(c => (c.Id, c.Name, (IEnumerable<string>)Split(c.ArgumentsJson, ArgumentPieceLength))));

    /// <summary>The length of the argument pieces that <see cref="ReplyStreamToolCalls(ValueTuple{string, string, string}[])"/> sends.</summary>
    public const int ArgumentPieceLength = 5;

    /// <summary>
    /// Answers with a completion whose message asks for <paramref name="calls"/> (<c>message.tool_calls</c>, each of type
    /// "function") and whose finish reason is "tool_calls", as OpenAI answers when the model calls tools.
    /// </summary>
    /// <param name="calls">The calls: the call id the client must echo in its "tool" message, the function name, and its
    /// arguments as the JSON text the model wrote (sent as a string, as OpenAI does).</param>
    /// <remarks>A request with <c>"stream": true</c> gets the calls streamed (<see cref="ReplyStreamToolCalls(ValueTuple{string, string, string}[])"/>).</remarks>
    public OpenAIWireServer ReplyToolCalls(params (string Id, string Name, string ArgumentsJson)[] calls) =>
        Reply(context => RequestOf(context).IsStream
            ? WriteStreamAsync(context, ToolCallStream(calls.Select(c => (c.Id, c.Name, Split(c.ArgumentsJson, ArgumentPieceLength))).ToArray(), 11, 7))
            : WriteJsonAsync(context, 200, ToolCallCompletion(calls)));

    public OpenAIWireServer ReplyStatus(int status, string message, int times = 1)
    {
        for (int i = 0; i < times; i++)
        {
            Reply(context =>
            {
                // Tell the client's retry policy to come back at once, so the test does not wait out back-off delays.
                context.Response.Headers["retry-after-ms"] = "1";
                return WriteJsonAsync(context, status, new JObject { ["error"] = new JObject { ["message"] = message, ["type"] = "server_error" } });
            });
        }

        return this;
    }

    /// <summary>
    /// Answers with an error status and exactly <paramref name="headers"/> (no <c>retry-after-ms</c> of its own), for
    /// tests of how the client waits before a retry.
    /// </summary>
    public OpenAIWireServer ReplyStatusWithHeaders(int status, string message, params (string Name, string Value)[] headers) =>
        Reply(context =>
        {
            foreach (var (name, value) in headers)
            {
                context.Response.Headers[name] = value;
            }

            return WriteJsonAsync(context, status, new JObject { ["error"] = new JObject { ["message"] = message, ["type"] = "rate_limit" } });
        });

    /// <summary>Accepts the request and never answers, until the client gives up.</summary>
    public OpenAIWireServer ReplyNever() =>
        Reply(async context =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client went away: the point of this handler.
            }
        });

    public static JObject Completion(string? content, string finishReason = "stop", string? refusal = null, int promptTokens = 11, int completionTokens = 7) => new()
    {
        ["id"] = "chatcmpl-test",
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = "gpt-4o-mini",
        ["choices"] = new JArray(new JObject
        {
            ["index"] = 0,
            ["message"] = new JObject { ["role"] = "assistant", ["content"] = content, ["refusal"] = refusal },
            ["finish_reason"] = finishReason,
        }),
        ["usage"] = new JObject
        {
            ["prompt_tokens"] = promptTokens,
            ["completion_tokens"] = completionTokens,
            ["total_tokens"] = promptTokens + completionTokens,
        },
    };

    /// <summary>Builds a completion asking for tool calls, for tests that vary it before replying with <see cref="Reply"/>.</summary>
    public static JObject ToolCallCompletion(IEnumerable<(string Id, string Name, string ArgumentsJson)> calls, string? content = null, int promptTokens = 11, int completionTokens = 7)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var completion = Completion(content, "tool_calls", refusal: null, promptTokens, completionTokens);
        var message = (JObject)completion["choices"]![0]!["message"]!;
        message["tool_calls"] = new JArray(calls.Select(call => new JObject
        {
            ["id"] = call.Id,
            ["type"] = "function",
            ["function"] = new JObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
        }));
        return completion;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToString());
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var recorded = new RecordedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? string.Empty,
            context.Request.Headers.Authorization.ToString(),
            body.Length == 0 ? new JObject() : JObject.Parse(body));
        context.Items[typeof(RecordedRequest)] = recorded;
        _requests.Enqueue(recorded);
        using var aborted = context.RequestAborted.Register(static r => ((RecordedRequest)r!).OnClientDisconnected(), recorded);
        try
        {
            if (!_handlers.TryDequeue(out var handler))
            {
                await WriteJsonAsync(context, 500, new JObject { ["error"] = new JObject { ["message"] = "The test scripted no reply for this request." } });
                return;
            }

            await handler(context);
        }
        finally
        {
            // The handler can run to its end inside the abort's own callbacks (a wait on the token resumes inline), before
            // the registration above has run; disposing the registration then drops it, so the abort is recorded here too.
            if (context.RequestAborted.IsCancellationRequested)
            {
                recorded.OnClientDisconnected();
            }

            recorded.OnHandlerEnded();
        }
    }

    private static RecordedRequest RequestOf(HttpContext context) => (RecordedRequest)context.Items[typeof(RecordedRequest)]!;

    private static string[] Split(string text, int length) =>
        text.Length == 0 ? [string.Empty] : Enumerable.Range(0, (text.Length + length - 1) / length).Select(i => text.Substring(i * length, Math.Min(length, text.Length - (i * length)))).ToArray();

    // Waits for the release, if any. False when the client went away first (the server then writes nothing more).
    private static async Task<bool> HoldAsync(HttpContext context, Task? release)
    {
        if (release is null)
        {
            return true;
        }

        try
        {
            await release.WaitAsync(context.RequestAborted);
            return true;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return false;
        }
    }

    private sealed record StreamScript(IReadOnlyList<JObject> Deltas, int FirstScripted, string FinishReason, int PromptTokens, int CompletionTokens);

    private static StreamScript TextStream(IReadOnlyList<string> pieces, string? refusal, string finishReason, int promptTokens, int completionTokens)
    {
        var deltas = new List<JObject> { new() { ["role"] = "assistant", ["content"] = string.Empty, ["refusal"] = null } };
        deltas.AddRange(pieces.Select(p => new JObject { ["content"] = p }));
        if (refusal is not null)
        {
            deltas.Add(new JObject { ["refusal"] = refusal });
        }

        return new StreamScript(deltas, 1, finishReason, promptTokens, completionTokens);
    }

    private static StreamScript ToolCallStream(IReadOnlyList<(string Id, string Name, string[] Pieces)> calls, int promptTokens, int completionTokens)
    {
        var deltas = new List<JObject>();
        for (int index = 0; index < calls.Count; index++)
        {
            var (id, name, pieces) = calls[index];
            var header = new JObject
            {
                ["tool_calls"] = new JArray(new JObject
                {
                    ["index"] = index,
                    ["id"] = id,
                    ["type"] = "function",
                    ["function"] = new JObject { ["name"] = name, ["arguments"] = string.Empty },
                }),
            };
            if (index == 0)
            {
                header.AddFirst(new JProperty("content", JValue.CreateNull()));
                header.AddFirst(new JProperty("role", "assistant"));
            }

            deltas.Add(header);
            deltas.AddRange(pieces.Select(p => new JObject
            {
                ["tool_calls"] = new JArray(new JObject { ["index"] = index, ["function"] = new JObject { ["arguments"] = p } }),
            }));
        }

        return new StreamScript(deltas, 0, "tool_calls", promptTokens, completionTokens);
    }

    private static async Task WriteStreamAsync(HttpContext context, StreamScript script, int holdAfter = 0, Task? release = null)
    {
        var recorded = RequestOf(context);
        var includeUsage = recorded.IncludeUsage;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        JObject Chunk(JArray choices, JToken? usage)
        {
            var chunk = new JObject
            {
                ["id"] = "chatcmpl-test",
                ["object"] = "chat.completion.chunk",
                ["created"] = 1_700_000_000,
                ["model"] = "gpt-4o-mini",
                ["choices"] = choices,
            };
            if (includeUsage)
            {
                chunk["usage"] = usage ?? JValue.CreateNull();
            }

            return chunk;
        }

        static JArray Choice(JObject delta, string? finishReason) =>
            new(new JObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason });

        try
        {
            int holdAt = release is null ? -1 : script.FirstScripted + holdAfter;
            for (int i = 0; i < script.Deltas.Count; i++)
            {
                if (i == holdAt && !await HoldAsync(context, release))
                {
                    return;
                }

                await WriteEventAsync(context, Chunk(Choice(script.Deltas[i], null), null).ToString(Newtonsoft.Json.Formatting.None));
                recorded.OnChunkWritten();
            }

            if (holdAt >= script.Deltas.Count && !await HoldAsync(context, release))
            {
                return;
            }

            await WriteEventAsync(context, Chunk(Choice(new JObject(), script.FinishReason), null).ToString(Newtonsoft.Json.Formatting.None));
            recorded.OnChunkWritten();
            if (includeUsage)
            {
                var usage = new JObject
                {
                    ["prompt_tokens"] = script.PromptTokens,
                    ["completion_tokens"] = script.CompletionTokens,
                    ["total_tokens"] = script.PromptTokens + script.CompletionTokens,
                };
                await WriteEventAsync(context, Chunk([], usage).ToString(Newtonsoft.Json.Formatting.None));
                recorded.OnChunkWritten();
            }

            await WriteEventAsync(context, "[DONE]");
            recorded.OnDoneWritten();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-stream; RecordedRequest.ClientDisconnected says so.
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string data)
    {
        await context.Response.WriteAsync("data: " + data + "\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public sealed record RecordedRequest(string Method, string Path, string Authorization, JObject Body)
    {
        private readonly TaskCompletionSource _clientDisconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _handlerEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _chunksWritten;
        private volatile bool _doneWritten;

        /// <summary>Gets whether the request asked for a streamed answer (<c>"stream": true</c>).</summary>
        public bool IsStream => Body["stream"] is JValue { Type: JTokenType.Boolean } stream && (bool)stream;

        /// <summary>Gets whether the request asked for usage in the stream (<c>"stream_options": {"include_usage": true}</c>).</summary>
        public bool IncludeUsage => Body["stream_options"]?["include_usage"] is JValue { Type: JTokenType.Boolean } include && (bool)include;

        /// <summary>
        /// Gets a task that completes when the client goes away (closes or resets the connection) while the server is
        /// still answering this request. It never completes for a request answered in full.
        /// </summary>
        public Task ClientDisconnected => _clientDisconnected.Task;

        /// <summary>Gets a task that completes when the server has finished with this request, answered in full or not.</summary>
        public Task HandlerEnded => _handlerEnded.Task;

        /// <summary>
        /// Gets the number of <c>chat.completion.chunk</c> events written and flushed for this request (role, pieces,
        /// finish and usage chunks; not <c>[DONE]</c>). Zero for a request not answered as a stream.
        /// </summary>
        public int ChunksWritten => Volatile.Read(ref _chunksWritten);

        /// <summary>Gets whether the stream was written to its end, <c>data: [DONE]</c> included.</summary>
        public bool DoneWritten => _doneWritten;

        internal void OnClientDisconnected() => _clientDisconnected.TrySetResult();

        internal void OnHandlerEnded() => _handlerEnded.TrySetResult();

        internal void OnChunkWritten() => Interlocked.Increment(ref _chunksWritten);

        internal void OnDoneWritten() => _doneWritten = true;

        /// <summary>Gets the request's messages in order (empty when there are none).</summary>
        public IReadOnlyList<JObject> Messages => Body["messages"] is JArray messages ? messages.OfType<JObject>().ToArray() : [];

        /// <summary>Gets the "tool" messages, which carry tool results back to the model, each with its <c>tool_call_id</c>.</summary>
        public IReadOnlyList<ToolMessage> ToolMessages =>
            Messages.Where(m => (string?)m["role"] == "tool").Select(m => new ToolMessage((string?)m["tool_call_id"], ContentText(m["content"]))).ToArray();

        /// <summary>
        /// Gets the tool calls of the request's assistant messages (the history the client sends back), in order. The
        /// OpenAI client writes the arguments again from its parsed dictionary (indented), so compare them as JSON, not text.
        /// </summary>
        public IReadOnlyList<(string? Id, string? Name, string? ArgumentsJson)> AssistantToolCalls =>
            Messages.Where(m => (string?)m["role"] == "assistant" && m["tool_calls"] is JArray)
                .SelectMany(m => ((JArray)m["tool_calls"]!).OfType<JObject>())
                .Select(c => ((string?)c["id"], (string?)c["function"]?["name"], (string?)c["function"]?["arguments"]))
                .ToArray();

        /// <summary>Gets the request's <c>tools</c> (empty when it sends none).</summary>
        public IReadOnlyList<JObject> Tools => Body["tools"] is JArray tools ? tools.OfType<JObject>().ToArray() : [];

        /// <summary>Gets the names of the function tools the request offers, in order.</summary>
        public IReadOnlyList<string?> ToolNames => Tools.Select(t => (string?)t["function"]?["name"]).ToArray();

        /// <summary>
        /// Gets the request's <c>tool_choice</c>: "auto", "none" or "required"; for one named function the object's compact
        /// JSON (<c>{"type":"function","function":{"name":"..."}}</c>); <see langword="null"/> when the request sends none.
        /// </summary>
        /// <remarks>A string rather than a <see cref="JToken"/>: NUnit prints a <see cref="JValue"/> as an empty collection.</remarks>
        public string? ToolChoice => Body["tool_choice"] switch
        {
            null or { Type: JTokenType.Null } => null,
            JValue value => (string?)value,
            var choice => choice.ToString(Newtonsoft.Json.Formatting.None),
        };

        /// <summary>Gets the <c>function</c> object (name, description, parameters, strict) of the tool named <paramref name="name"/>.</summary>
        /// <exception cref="InvalidOperationException">The request offers no function tool of that name.</exception>
        public JObject Function(string name) =>
            Tools.Select(t => t["function"] as JObject).FirstOrDefault(f => f is not null && (string?)f["name"] == name)
            ?? throw new InvalidOperationException($"The request offers no function tool named '{name}'; it offers [{string.Join(", ", ToolNames)}].");

        // A message's content is a string, or an array of parts whose text parts together make it.
        private static string? ContentText(JToken? content) => content switch
        {
            JArray parts => string.Concat(parts.Select(p => (string?)p["text"])),
            null or { Type: JTokenType.Null } => null,
            _ => (string?)content,
        };
    }

    /// <summary>A "tool" message: the result of one tool call, sent back to the model.</summary>
    public sealed record ToolMessage(string? ToolCallId, string? Content);
}
