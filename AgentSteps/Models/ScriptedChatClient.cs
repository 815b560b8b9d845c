using AgentSteps.Internal;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// A test <see cref="IChatClient"/> that answers from a queue of scripted replies and records every request it received
/// (messages and options), so a test can assert both what the workflow sent and how it handled each reply.
/// </summary>
public sealed class ScriptedChatClient : IChatClient
{
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
