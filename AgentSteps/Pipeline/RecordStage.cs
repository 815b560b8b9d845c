namespace AgentSteps.Pipeline;

/// <summary>
/// Records the call: makes the step the parent of the steps it calls, tells the observers it started and ended, and
/// keeps its result or exception and duration. First in the pipeline, so it sees what every later stage did, loop-limit
/// failures and user middleware included.
/// </summary>
internal sealed class RecordStage : IStepMiddleware
{
    public static readonly RecordStage Instance = new();

    public async ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        var runtime = context.Runtime;
        var step = context.Step;
        var configuration = runtime.Configuration;

        // This method is async, so the change stays within this call and what it calls (await restores the caller's context).
        Runtime.CurrentStep = step;
        var notify = configuration.Notify;
        if (notify.HasObservers)
        {
            notify.StepStarted(step);
        }

        runtime.Events?.Publish(new StepStartedEvent(step));

        try
        {
            var result = await next(context).ConfigureAwait(false);
            step.Complete(result, configuration.TimeProvider.GetElapsedTime(step.StartedTimestamp));
            return result;
        }
        catch (Exception e)
        {
            step.Fail(e, configuration.TimeProvider.GetElapsedTime(step.StartedTimestamp));
            throw;
        }
        finally
        {
            context.ReleaseCancellation();
            bool lastAfterDispose = runtime.Record(step);
            if (notify.HasObservers)
            {
                notify.StepCompleted(step);
            }

            runtime.Events?.Publish(new StepCompletedEvent(step));

            if (lastAfterDispose)
            {
                runtime.Complete();
            }
        }
    }
}
