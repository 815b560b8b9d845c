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
    public OpenAIWireServer ReplyContent(Func<RecordedRequest, string> content) =>
        Reply(context => WriteJsonAsync(context, 200, Completion(content((RecordedRequest)context.Items[typeof(RecordedRequest)]!))));

    /// <summary>Answers with a completion whose message content is <paramref name="content"/>.</summary>
    public OpenAIWireServer ReplyContent(string? content, string finishReason = "stop", string? refusal = null, int promptTokens = 11, int completionTokens = 7) =>
        Reply(context => WriteJsonAsync(context, 200, Completion(content, finishReason, refusal, promptTokens, completionTokens)));

    /// <summary>
    /// Answers with a completion whose message asks for <paramref name="calls"/> (<c>message.tool_calls</c>, each of type
    /// "function") and whose finish reason is "tool_calls", as OpenAI answers when the model calls tools.
    /// </summary>
    /// <param name="calls">The calls: the call id the client must echo in its "tool" message, the function name, and its
    /// arguments as the JSON text the model wrote (sent as a string, as OpenAI does).</param>
    public OpenAIWireServer ReplyToolCalls(params (string Id, string Name, string ArgumentsJson)[] calls) =>
        Reply(context => WriteJsonAsync(context, 200, ToolCallCompletion(calls)));

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
        if (!_handlers.TryDequeue(out var handler))
        {
            await WriteJsonAsync(context, 500, new JObject { ["error"] = new JObject { ["message"] = "The test scripted no reply for this request." } });
            return;
        }

        await handler(context);
    }

    public sealed record RecordedRequest(string Method, string Path, string Authorization, JObject Body)
    {
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
