using AgentSteps.Diagnostics;

namespace AgentSteps;

/// <summary>
/// Tells a configuration's observers what happens, in order, on the flow where it happens. An observer that throws is
/// logged and ignored: it never changes a run.
/// </summary>
internal sealed class RunNotifier(IRunObserver[] observers, RuntimeLog log)
{
    /// <summary>Gets a value indicating whether anyone is told anything, so that a step skips the calls when no one is.</summary>
    public bool HasObservers { get; } = observers.Length > 0;

    /// <summary>Gets a value indicating whether an observer implements <see cref="IRunObserver.OnModelText"/>, so that LLM steps stream.</summary>
    public bool WantsModelText { get; } = observers.Any(o => Implements(o, nameof(IRunObserver.OnModelText)));

    public void ModelText(ModelTextEvent modelText) => Tell(modelText, static (observer, e) => observer.OnModelText(e), nameof(IRunObserver.OnModelText));

    public void ToolCall(ToolCallEvent toolCall) => Tell(toolCall, static (observer, e) => observer.OnToolCall(e), nameof(IRunObserver.OnToolCall));

    public void HumanInputRequested(HumanInputRequestedEvent request) =>
        Tell(request, static (observer, e) => observer.OnHumanInputRequested(e), nameof(IRunObserver.OnHumanInputRequested));

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
                Report(observer, name, e);
            }
        }
    }

    /// <summary>Gets whether the observer's class implements the interface method itself rather than keeping its empty default.</summary>
    private static bool Implements(IRunObserver observer, string method)
    {
        var map = observer.GetType().GetInterfaceMap(typeof(IRunObserver));
        for (int i = 0; i < map.InterfaceMethods.Length; i++)
        {
            if (map.InterfaceMethods[i].Name == method)
            {
                return map.TargetMethods[i].DeclaringType != typeof(IRunObserver);
            }
        }

        return false;
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
