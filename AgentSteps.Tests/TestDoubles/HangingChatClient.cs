namespace AgentSteps.Tests.TestDoubles;

/// <summary>
/// A chat client whose calls each run a scripted handler (by call number, from 1), given the call's token. The default
/// handler never answers: it waits on the token, so a cancellation that reaches the call ends it. Each call signals
/// <see cref="WaitForCallAsync"/>.
/// </summary>
public sealed class HangingChatClient : IChatClient
{
    private readonly Func<int, CancellationToken, Task<ChatResponse>> _handler;
    private readonly List<TaskCompletionSource> _entered = [];
    private int _calls;

    public HangingChatClient(Func<int, CancellationToken, Task<ChatResponse>>? handler = null) => _handler = handler ?? NeverAsync;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Gets the tokens the calls received, in call order.</summary>
    public List<CancellationToken> Tokens { get; } = [];

    public static ChatResponse Text(string text) => new(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = ChatFinishReason.Stop };

    public static ChatResponse ToolCall(string name, Dictionary<string, object?>? arguments = null) =>
        new(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", name, arguments ?? [])]))
        {
            FinishReason = ChatFinishReason.ToolCalls,
        };

    public static async Task<ChatResponse> NeverAsync(int call, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Completes when call number <paramref name="call"/> (from 1) has reached the client.</summary>
    public Task WaitForCallAsync(int call) => Entered(call).Task;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        int call = Interlocked.Increment(ref _calls);
        lock (Tokens)
        {
            Tokens.Add(cancellationToken);
        }

        var response = _handler(call, cancellationToken);
        Entered(call).TrySetResult();
        return response;
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private TaskCompletionSource Entered(int call)
    {
        lock (_entered)
        {
            while (_entered.Count < call)
            {
                _entered.Add(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            return _entered[call - 1];
        }
    }
}
