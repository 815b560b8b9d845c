namespace AgentSteps;

/// <summary>
/// The watchers of one run (<see cref="Runtime.WatchAsync"/>): each has its own buffer, so a slow one never slows the
/// run or another watcher. Made when the first watcher comes; a run no one watches has none and pays nothing.
/// </summary>
internal sealed class RunEventHub
{
    /// <summary>How many events a watcher may fall behind before model text events are dropped for it.</summary>
    public const int Capacity = 1000;

    private readonly Lock _gate = new();
    private Watcher[] _watchers = [];
    private bool _completed;

    public bool HasWatchers => Volatile.Read(ref _watchers).Length > 0;

    public Watcher Add(Runtime run)
    {
        var watcher = new Watcher();
        lock (_gate)
        {
            if (_completed)
            {
                // A watcher that comes after the run ended gets its end at once, rather than waiting for ever.
                watcher.Post(new RunCompletedEvent(run));
                return watcher;
            }

            _watchers = [.. _watchers, watcher];
        }

        return watcher;
    }

    public void Remove(Watcher watcher)
    {
        lock (_gate)
        {
            _watchers = Array.FindAll(_watchers, w => !ReferenceEquals(w, watcher));
        }
    }

    public void Publish(RunEvent runEvent)
    {
        foreach (var watcher in Volatile.Read(ref _watchers))
        {
            watcher.Post(runEvent);
        }
    }

    /// <summary>Ends the run for its watchers, once: each gets <see cref="RunCompletedEvent"/> as its last event.</summary>
    public void Complete(Runtime run)
    {
        Watcher[] watchers;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            watchers = _watchers;
            _watchers = [];
        }

        var completed = new RunCompletedEvent(run);
        foreach (var watcher in watchers)
        {
            watcher.Post(completed);
        }
    }

    /// <summary>One watcher's buffer: every step and run event, and model text events while it keeps up.</summary>
#pragma warning disable CA1001 // A SemaphoreSlim whose wait handle is never asked for holds nothing to dispose.
    internal sealed class Watcher
#pragma warning restore CA1001
    {
        private readonly Queue<RunEvent> _pending = new();
        private readonly SemaphoreSlim _signal = new(0);

        public void Post(RunEvent runEvent)
        {
            lock (_pending)
            {
                if (runEvent.Kind == RunEventKind.ModelText && _pending.Count >= Capacity)
                {
                    // Behind: text is dropped (the next text event it gets holds the whole text so far); nothing else is.
                    return;
                }

                _pending.Enqueue(runEvent);
            }

            _signal.Release();
        }

        public async ValueTask<RunEvent> TakeAsync(CancellationToken cancellationToken)
        {
            await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_pending)
            {
                return _pending.Dequeue();
            }
        }
    }
}
