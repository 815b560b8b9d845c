namespace AgentSteps.Pipeline;

/// <summary>
/// Makes a step cancellable from above and limits its time. It links the token of the step's parent (or, for a top-level
/// step, the run's: <see cref="RuntimeOptions.CancellationToken"/> and <see cref="Runtime.Cancel"/>) into the step's
/// <see cref="StepContext.CancellationToken"/>, so a cancellation reaches every model call and tool below, in steps with or
/// without a <see cref="CancellationToken"/> parameter; a step of a cancelled run or parent does not start. A step with
/// <see cref="StepAttribute.TimeoutSeconds"/> also links a timer on <see cref="RuntimeOptions.TimeProvider"/>, and a call
/// that ends by the timer's cancellation fails with <see cref="StepTimeoutException"/>.
/// </summary>
/// <remarks>
/// A step without a token of its own and without a time limit takes the token from above as it is: no link, no allocation.
/// </remarks>
internal sealed class TimeLimitStage : IStepMiddleware
{
    public static readonly TimeLimitStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        var step = context.Step;
        var above = step.Parent is { } parent ? parent.Cancellation : step.Owner.CancellationToken;

        // A cancelled run (or parent) starts nothing more: no body runs, no model is called.
        above.ThrowIfCancellationRequested();
        context.LinkCancellation(above);
        var timeoutSeconds = context.Descriptor.Attribute.TimeoutSeconds;
        if (timeoutSeconds > 0)
        {
            return WithTimeLimitAsync(context, next, TimeSpan.FromSeconds(timeoutSeconds), above);
        }

        step.Cancellation = context.CancellationToken;
        return next(context);
    }

    private static async ValueTask<object?> WithTimeLimitAsync(StepContext context, StepHandler next, TimeSpan timeout, CancellationToken above)
    {
        var step = context.Step;
        using var timer = new CancellationTokenSource(timeout, step.Owner.Configuration.TimeProvider);
        context.LinkCancellation(timer.Token);
        step.Cancellation = context.CancellationToken;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (timer.IsCancellationRequested && !above.IsCancellationRequested)
        {
            // Cancelled from above too: that cancellation is the cause, and stays an OperationCanceledException.
            throw new StepTimeoutException(context.Descriptor.QualifiedName, timeout, e);
        }
    }
}
