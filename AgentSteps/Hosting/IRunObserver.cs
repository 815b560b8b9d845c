namespace AgentSteps;

/// <summary>
/// Receives every run that a workflow resolved from the container opened for itself, when its top-level step call
/// finishes (successfully or not). Register implementations in the container to log, store or export runs.
/// </summary>
public interface IRunObserver
{
    /// <summary>Called once per finished run, on the thread that finished it. An exception thrown here reaches the step's caller.</summary>
    /// <param name="run">The finished run, with its <see cref="Runtime.ExecutedSteps"/>.</param>
    void OnRunCompleted(Runtime run);
}
