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
                log.ObserverFailed(observer, nameof(IRunObserver.OnStepStarted), e);
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
                log.ObserverFailed(observer, nameof(IRunObserver.OnStepCompleted), e);
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
                log.ObserverFailed(observer, nameof(IRunObserver.OnRunCompleted), e);
            }
        }
    }
}
