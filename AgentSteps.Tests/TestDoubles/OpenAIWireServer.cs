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

    /// <summary>Answers with a completion whose message content is <paramref name="content"/>.</summary>
    public OpenAIWireServer ReplyContent(string? content, string finishReason = "stop", string? refusal = null, int promptTokens = 11, int completionTokens = 7) =>
        Reply(context => WriteJsonAsync(context, 200, Completion(content, finishReason, refusal, promptTokens, completionTokens)));

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
        _requests.Enqueue(new RecordedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? string.Empty,
            context.Request.Headers.Authorization.ToString(),
            body.Length == 0 ? new JObject() : JObject.Parse(body)));
        if (!_handlers.TryDequeue(out var handler))
        {
            await WriteJsonAsync(context, 500, new JObject { ["error"] = new JObject { ["message"] = "The test scripted no reply for this request." } });
            return;
        }

        await handler(context);
    }

    public sealed record RecordedRequest(string Method, string Path, string Authorization, JObject Body);
}
