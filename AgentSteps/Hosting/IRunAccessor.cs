namespace AgentSteps;

/// <summary>
/// A scoped view of the runs that workflows resolved in the same scope (such as one HTTP request) opened for
/// themselves, so that the code that called them can return or log their trace.
/// </summary>
/// <remarks>
/// Runs of workflows resolved from the root provider (singletons, and transients that a singleton or hosted service
/// holds) are not collected: the root scope lasts as long as the process, so it would keep every run ever made.
/// Register an <see cref="IRunObserver"/> to see those runs.
/// </remarks>
public interface IRunAccessor
{
    /// <summary>Gets the run that finished last in this scope, or <see langword="null"/> when none has.</summary>
    Runtime? LastRun { get; }

    /// <summary>Gets every run finished in this scope, in the order they finished.</summary>
    IReadOnlyList<Runtime> Runs { get; }
}
