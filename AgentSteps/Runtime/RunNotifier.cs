using AgentSteps.Diagnostics;

namespace AgentSteps;

/// <summary>
/// Tells a configuration's observers what happens, in order, on the flow where it happens. An observer that throws is
/// logged and ignored: it never changes a run.
/// </summary>
internal sealed class RunNotifier(IRunObserver[] observers, RuntimeLog log)
{
    public bool IsEmpty => observers.Length == 0;

    public void StepStarted(ExecutedStep step)
    {
        foreach (var observer in observers)
        {
            try
            {
                observer.OnStepStarted(step);
            }
            catch (Exception e)
            {
                Report(observer, nameof(IRunObserver.OnStepStarted), e);
            }
        }
    }

    public void StepCompleted(ExecutedStep step)
    {
        foreach (var observer in observers)
        {
            try
            {
                observer.OnStepCompleted(step);
            }
            catch (Exception e)
            {
                Report(observer, nameof(IRunObserver.OnStepCompleted), e);
            }
        }
    }

    public void RunCompleted(Runtime run)
    {
        foreach (var observer in observers)
        {
            try
            {
                observer.OnRunCompleted(run);
            }
            catch (Exception e)
            {
                Report(observer, nameof(IRunObserver.OnRunCompleted), e);
            }
        }
    }

    /// <summary>Logs a failed observer; a log sink that throws while doing so is ignored too, as the observer was.</summary>
    private void Report(IRunObserver observer, string callback, Exception exception)
    {
        try
        {
            log.ObserverFailed(observer, callback, exception);
        }
#pragma warning disable CA1031 // Nothing an observer causes may change a run, its log line included.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
