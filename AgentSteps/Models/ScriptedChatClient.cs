using AgentSteps.Internal;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// A test <see cref="IChatClient"/> that answers from a queue of scripted replies and records every request it received
/// (messages and options), so a test can assert both what the workflow sent and how it handled each reply.
/// </summary>
public sealed class ScriptedChatClient : IChatClient
{
    private int _callIds;
    private readonly Queue<Func<ScriptedChatRequest, ChatResponse>> _replies = new();
    private readonly List<ScriptedChatRequest> _requests = [];
    private readonly object _gate = new();

    /// <summary>Initializes a new instance of the <see cref="ScriptedChatClient"/> class with text replies, in order.</summary>
    /// <param name="replies">The reply texts, one per expected request.</param>
    public ScriptedChatClient(params string[] replies)
    {
        foreach (var reply in replies ?? [])
        {
            Enqueue(reply);
        }
    }

    /// <summary>Gets the requests received so far, in order.</summary>
    public IReadOnlyList<ScriptedChatRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToArray();
            }
        }
    }

    /// <summary>Gets how many scripted replies are still waiting.</summary>
    public int Remaining
    {
        get
        {
            lock (_gate)
            {
                return _replies.Count;
            }
        }
    }

    /// <summary>Adds a text reply.</summary>
    /// <param name="text">The reply's text.</param>
    /// <returns>This client, for chaining.</returns>
    public ScriptedChatClient Enqueue(string text) => Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = ChatFinishReason.Stop });

    /// <summary>
    /// Adds a reply that calls tools, as a provider's reply with tool calls reads: each call is a tool name and its
    /// arguments as JSON text, given the call id <c>call_</c><i>n</i> in script order. Arguments that are not a JSON
    /// object reach the step as a call whose arguments could not be parsed, as from a real provider.
    /// </summary>
    /// <param name="calls">The calls, in the order the reply makes them.</param>
    /// <returns>This client, for chaining.</returns>
    /// <exception cref="ArgumentException">No call is given, or a call has no name.</exception>
    public ScriptedChatClient EnqueueToolCalls(params (string Name, string ArgumentsJson)[] calls)
    {
        Throw.IfNull(calls);
        if (calls.Length == 0 || calls.Any(c => string.IsNullOrWhiteSpace(c.Name)))
        {
            throw new ArgumentException("Give at least one call, each with a tool name.", nameof(calls));
        }

        var contents = new List<AIContent>(calls.Length);
        foreach (var (name, argumentsJson) in calls)
        {
            var callId = "call_" + Interlocked.Increment(ref _callIds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var call = FunctionCallContent.CreateFromParsedArguments(
                argumentsJson ?? "{}", callId, name,
                static json => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions));

            // As a provider's client keeps its own tool call, the script keeps the text it was given.
            call.RawRepresentation = new Models.ScriptedArguments(argumentsJson ?? "{}");
            contents.Add(call);
        }

        return Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, [.. contents])) { FinishReason = ChatFinishReason.ToolCalls });
    }

    /// <summary>Adds a reply that calls one tool (see <see cref="EnqueueToolCalls"/>).</summary>
    /// <param name="name">The tool's name.</param>
    /// <param name="argumentsJson">The call's arguments as JSON text.</param>
    /// <returns>This client, for chaining.</returns>
    public ScriptedChatClient EnqueueToolCall(string name, string argumentsJson = "{}") => EnqueueToolCalls((name, argumentsJson));

    /// <summary>Adds a reply computed from the request, or one that throws to simulate a failing provider.</summary>
    /// <param name="reply">The function that makes the reply.</param>
    /// <returns>This client, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reply"/> is <see langword="null"/>.</exception>
    public ScriptedChatClient Enqueue(Func<ScriptedChatRequest, ChatResponse> reply)
    {
        Throw.IfNull(reply);
        lock (_gate)
        {
            _replies.Enqueue(reply);
        }

        return this;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No scripted reply is left.</exception>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var request = new ScriptedChatRequest(messages.ToArray(), options?.Clone());
        Func<ScriptedChatRequest, ChatResponse> reply;
        lock (_gate)
        {
            _requests.Add(request);
            if (!_replies.TryDequeue(out reply!))
            {
                throw new InvalidOperationException(
                    $"ScriptedChatClient received request {_requests.Count} but has no scripted reply left. Enqueue one reply per expected model call.");
            }
        }

        return Task.FromResult(reply(request));
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        ChatResponseStreaming.StreamAsync(GetResponseAsync(messages, options, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType?.IsInstanceOfType(this) == true ? this : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
