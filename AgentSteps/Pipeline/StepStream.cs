using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace AgentSteps.Pipeline;

/// <summary>What a streaming step's shape can do: make the stream the proxy returns, and pump a code step's body into it.</summary>
internal interface IStreamShape
{
    object CreateStream(StreamStarter starter);

    ValueTask<object?> PumpAsync(StepContext context, object? returnValue);

    ValueTask<object?> RunModelAsync(StepContext context);
}

/// <summary>Starts a streaming step's pipeline when its stream is enumerated, with the sink its items go to and the token that stops it.</summary>
internal delegate ValueTask<object?> StreamStarter(IStreamSink sink, CancellationToken cancellationToken);

/// <summary>Where a streaming step's items go as they are produced.</summary>
internal interface IStreamSink
{
    /// <summary>Gets a value indicating whether the caller stopped reading before the stream ended.</summary>
    bool StoppedByConsumer { get; }

    /// <summary>Gets the number of items written so far.</summary>
    int Count { get; }
}

/// <summary>The sink of a stream of <typeparamref name="T"/>: a bounded channel to the caller, and the list the step records.</summary>
internal sealed class StreamSink<T>(ChannelWriter<T> writer) : IStreamSink
{
    private readonly List<T> _items = [];
    private volatile bool _stopped;
    private int _consumed;
    private TaskCompletionSource? _read;

    public bool StoppedByConsumer => _stopped;

    public int Count
    {
        get
        {
            lock (_items)
            {
                return _items.Count;
            }
        }
    }

    public ValueTask WriteAsync(T item, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_items)
        {
            _items.Add(item);
        }

        return writer.WriteAsync(item, cancellationToken);
    }

    /// <summary>
    /// Gets the step's result: the items written, or, once the reader stopped early, the items it read (those still in the
    /// buffer never reached it).
    /// </summary>
    public List<T> Items()
    {
        lock (_items)
        {
            return _stopped ? _items.GetRange(0, Math.Min(_consumed, _items.Count)) : new List<T>(_items);
        }
    }

    /// <summary>Counts an item the reader took.</summary>
    public void Consumed()
    {
        lock (_items)
        {
            if (++_consumed >= _items.Count)
            {
                _read?.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Waits until the reader has taken every item written, or stopped: a stream ends, and its step is recorded, when its
    /// reader is done with it, so that a reader that stops records the items it read.
    /// </summary>
    public async Task WhenReadAsync(CancellationToken cancellationToken)
    {
        Task read;
        lock (_items)
        {
            if (_stopped || _consumed >= _items.Count)
            {
                return;
            }

            _read ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            read = _read.Task;
        }

        try
        {
            await read.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopped)
        {
            // The reader stopped, and its stopping cancels the step's token too: whichever came first, it is a stop.
        }
    }

    public void Stop()
    {
        lock (_items)
        {
            _stopped = true;
            _read?.TrySetResult();
        }
    }
}

/// <summary>
/// The stream a streaming step's proxy returns. Each enumeration runs the step once, as an <c>async</c> iterator method
/// runs its body per enumeration: the step starts at the first <c>MoveNextAsync</c> (recorded under the step that is
/// running then), its items reach the caller as they are produced (a bounded buffer keeps a fast producer from running
/// far ahead), and it is recorded when the stream ends, fails, or the caller stops: stopping early (<c>break</c>, or
/// disposing the enumerator) cancels the step's work, its model call included, and records the items yielded so far.
/// </summary>
internal sealed class StepStream<T>(StreamStarter starter) : IAsyncEnumerable<T>
{
    private const int Buffer = 16;

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(starter, cancellationToken);

    /// <summary>Runs a code step's stream into the sink; returns the items yielded (all, or those before the caller stopped).</summary>
    public static async ValueTask<object?> PumpAsync(StepContext context, IAsyncEnumerable<T>? source)
    {
        var sink = (StreamSink<T>)context.Sink!;
        if (source is null)
        {
            return sink.Items();
        }

        var cancellationToken = context.CancellationToken;
        try
        {
            await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await sink.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (sink.StoppedByConsumer)
        {
            // The caller stopped reading: the step ends with what it yielded, not as a failure.
        }

        await sink.WhenReadAsync(cancellationToken).ConfigureAwait(false);
        return sink.Items();
    }

    private sealed class Enumerator(StreamStarter starter, CancellationToken consumerToken) : IAsyncEnumerator<T>
    {
        private readonly Channel<T> _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(Buffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        private CancellationTokenSource? _cts;
        private StreamSink<T>? _sink;
        private Task? _pipeline;
        private ExceptionDispatchInfo? _failure;
        private bool _done;
        private bool _disposed;

        public T Current { get; private set; } = default!;

        public async ValueTask<bool> MoveNextAsync()
        {
            if (_pipeline is null)
            {
                _cts = CancellationTokenSource.CreateLinkedTokenSource(consumerToken);
                _sink = new StreamSink<T>(_channel.Writer);
                _pipeline = RunAsync(_sink, _cts.Token);
            }

            var reader = _channel.Reader;
            while (await reader.WaitToReadAsync(consumerToken).ConfigureAwait(false))
            {
                if (reader.TryRead(out var item))
                {
                    _sink!.Consumed();
                    Current = item;
                    return true;
                }
            }

            _done = true;
            _failure?.Throw();
            return false;
        }

        public async ValueTask DisposeAsync()
        {
            if (_pipeline is null || _disposed)
            {
                return; // disposing twice is allowed, as for an iterator
            }

            _disposed = true;

            if (!_done)
            {
                // Stopping early is not a failure; a reader whose token was cancelled cancelled the step, which is recorded so.
                if (!consumerToken.IsCancellationRequested)
                {
                    _sink!.Stop();
                }

                await _cts!.CancelAsync().ConfigureAwait(false);
            }

            await _pipeline.ConfigureAwait(false); // never throws: RunAsync keeps the failure; the step is recorded by now
            _cts!.Dispose();
        }

        private async Task RunAsync(StreamSink<T> sink, CancellationToken cancellationToken)
        {
            try
            {
                var result = await starter(sink, cancellationToken).ConfigureAwait(false);

                // A middleware that answered without running the step (a cache, a stub) gives the items as its result.
                if (sink.Count == 0 && result is IEnumerable<T> items)
                {
                    foreach (var item in items)
                    {
                        await _channel.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (sink.StoppedByConsumer)
            {
                // The caller stopped reading; nothing is waiting for the failure.
            }
#pragma warning disable CA1031 // The failure reaches the caller at its next MoveNextAsync, as an iterator's would.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }

            _channel.Writer.TryComplete();
        }
    }
}
