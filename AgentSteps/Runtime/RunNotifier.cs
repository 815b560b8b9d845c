using AgentSteps.Diagnostics;

namespace AgentSteps;

/// <summary>
/// Tells a configuration's observers what happens, in order, on the flow where it happens. An observer that throws is
/// logged and ignored: it never changes a run.
/// </summary>
internal sealed class RunNotifier(IRunObserver[] observers, RuntimeLog log)
{
    public void StepStarted(ExecutedStep step) => Tell(step, static (observer, s) => observer.OnStepStarted(s), nameof(IRunObserver.OnStepStarted));

    public void StepCompleted(ExecutedStep step) => Tell(step, static (observer, s) => observer.OnStepCompleted(s), nameof(IRunObserver.OnStepCompleted));

    public void RunCompleted(Runtime run) => Tell(run, static (observer, r) => observer.OnRunCompleted(r), nameof(IRunObserver.OnRunCompleted));

    private void Tell<T>(T subject, Action<IRunObserver, T> callback, string name)
    {
        foreach (var observer in observers)
        {
            try
            {
                callback(observer, subject);
            }
#pragma warning disable CA1031 // An observer's failure must never change the run it watches.
            catch (Exception e)
#pragma warning restore CA1031
            {
                log.ObserverFailed(observer, name, e);
            }
        }
    }
}
