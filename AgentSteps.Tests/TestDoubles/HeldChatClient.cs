using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace AgentSteps.Tests.TestDoubles;

/// <summary>
/// A model that holds every call until the test releases it, and counts the calls in flight: a test reads the calls as
/// they arrive (<see cref="NextArrivalAsync"/>), releases them in any order, and learns the most that were ever in the
/// model at once, all without timing.
/// </summary>
internal sealed class HeldChatClient : IChatClient
{
    private readonly Channel<HeldCall> _arrivals = Channel.CreateUnbounded<HeldCall>();
    private int _inFlight;
    private int _maxInFlight;
    private int _calls;

    /// <summary>Gets the most calls that were in the model at the same time.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Gets the calls in the model now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Gets how many calls have arrived so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Waits for the next call to arrive (in arrival order), which stays in the model until released.</summary>
    public async Task<HeldCall> NextArrivalAsync(CancellationToken cancellationToken = default) =>
        await _arrivals.Reader.ReadAsync(cancellationToken);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        int inFlight = Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _calls);
        for (int max = MaxInFlight; inFlight > max && Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) != max; max = MaxInFlight)
        {
        }

        try
        {
            var call = new HeldCall(messages.Last(m => m.Role == ChatRole.User).Text, options?.ModelId);
            _arrivals.Writer.TryWrite(call);
            var reply = await call.Released.Task.WaitAsync(cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply)) { ModelId = options?.ModelId, FinishReason = ChatFinishReason.Stop };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        StreamAsync(messages, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }
}

/// <summary>One call held in <see cref="HeldChatClient"/>: the user prompt it carried, and the switch that answers it.</summary>
internal sealed class HeldCall(string prompt, string? modelId)
{
    /// <summary>Gets the model the call asked for.</summary>
    public string? ModelId { get; } = modelId;

    /// <summary>Gets the text of the call's user message.</summary>
    public string Prompt { get; } = prompt;

    internal TaskCompletionSource<string> Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the call return <paramref name="reply"/> (by default, its own prompt echoed).</summary>
    public void Release(string? reply = null) => Released.TrySetResult(reply ?? "re: " + Prompt);
}
