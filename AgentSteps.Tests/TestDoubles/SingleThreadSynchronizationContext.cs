using System.Collections.Concurrent;

namespace AgentSteps.Tests.TestDoubles;

/// <summary>
/// A synchronization context with one thread that runs what is posted to it in order, as a UI thread does: a
/// continuation posted while that thread is blocked waits until it is free.
/// </summary>
public sealed class SingleThreadSynchronizationContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
    private readonly Thread _thread;

    public SingleThreadSynchronizationContext()
    {
        // A background thread: should a test deadlock it, the test fails on its timeout and the process still exits.
        _thread = new Thread(Run) { IsBackground = true, Name = "single-threaded context" };
        _thread.Start();
    }

    public int ManagedThreadId => _thread.ManagedThreadId;

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Only Post is used by these tests.");

    public override SynchronizationContext CreateCopy() => this;

    public void Dispose() => _queue.CompleteAdding();

    private void Run()
    {
        SetSynchronizationContext(this);
        foreach (var (callback, state) in _queue.GetConsumingEnumerable())
        {
            callback(state);
        }
    }
}
