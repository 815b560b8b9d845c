namespace AgentSteps.Hosting;

/// <summary>
/// Binds a workflow proxy to a way of opening runs, as dependency injection does: a top-level step call with no ambient
/// runtime opens its own run, which is reported when the call finishes.
/// </summary>
internal sealed class RunBinding(Func<Runtime> openRun, Action<Runtime> completed)
{
    public Runtime OpenRun() => openRun();

    public void Complete(Runtime run) => completed(run);
}
