namespace AgentSteps.Pipeline;

/// <summary>
/// Holds back a model call until the configuration's limit on model calls in flight allows it
/// (<c>RuntimeOptions.MaxConcurrentModelCalls</c>); the lease it gives is released when the call, a stream included, ends.
/// </summary>
/// <remarks>
/// The gate is the compiled configuration's, so every run built from the same options shares it. A call that waits adds
/// the time it waited, read from the configuration's clock, to its step's <see cref="ExecutedStep.ModelWaitTime"/>.
/// </remarks>
internal static class ModelCallLimiter
{
    /// <summary>Waits for a slot for one model call of the step (none to wait for without a limit).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before a slot was taken; no slot is held.</exception>
    public static ValueTask<Lease> EnterAsync(StepContext context, CancellationToken cancellationToken)
    {
        var gate = context.Step.Owner.Configuration.ModelCallGate;
        if (gate is null)
        {
            return new(default(Lease)); // no limit: no allocation, no clock read, no await
        }

        // A free slot is taken without awaiting; a cancelled token throws here before any slot is taken.
        return gate.Wait(0, cancellationToken) ? new(new Lease(gate)) : WaitAsync(gate, context.Step, cancellationToken);
    }

    private static async ValueTask<Lease> WaitAsync(SemaphoreSlim gate, ExecutedStep step, CancellationToken cancellationToken)
    {
        var clock = step.Owner.Configuration.TimeProvider;
        long started = clock.GetTimestamp();
        try
        {
            // A cancelled wait takes no slot, so it frees none: the lease is made only once the wait succeeded.
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                // Cancelled as the slot came free (a run cancelled frees its running calls' slots): the call is not made.
                gate.Release();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return new Lease(gate);
        }
        finally
        {
            step.ModelRecord.AddWaitTime(clock.GetElapsedTime(started));
        }
    }

    /// <summary>A slot for one model call; disposing it frees the slot.</summary>
    internal readonly struct Lease : IDisposable
    {
        private readonly SemaphoreSlim? _gate;

        public Lease(SemaphoreSlim gate) => _gate = gate;

        public void Dispose() => _gate?.Release();
    }
}
