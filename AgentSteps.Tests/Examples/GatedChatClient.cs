namespace AgentSteps.Tests;

/// <summary>
/// A model that holds its first <c>arrivals</c> calls until all of them have arrived, then answers through the inner
/// client. A test that gets answers at all has proved that many calls were in the model at the same time, without timing.
/// </summary>
internal sealed class GatedChatClient(IChatClient inner, int arrivals) : DelegatingChatClient(inner)
{
    private readonly TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    /// <summary>Gets how many calls have arrived so far.</summary>
    public int Arrived => Volatile.Read(ref _arrived);

    /// <summary>
    /// Gets the thread pool's thread count when the last held call arrived: callers that block a thread while they wait
    /// (synchronous steps) need at least one thread each by then; awaiting callers need none.
    /// </summary>
    public int ThreadsWhenAllArrived { get; private set; }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref _arrived) == arrivals)
        {
            ThreadsWhenAllArrived = ThreadPool.ThreadCount;
            _allArrived.TrySetResult();
        }

        await _allArrived.Task.WaitAsync(cancellationToken);
        return await base.GetResponseAsync(messages, options, cancellationToken);
    }
}
