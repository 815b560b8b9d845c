namespace AgentSteps.Hosting;

internal sealed class RunAccessor : IRunAccessor
{
    private readonly List<Runtime> _runs = [];

    public Runtime? LastRun
    {
        get
        {
            lock (_runs)
            {
                return _runs.Count == 0 ? null : _runs[^1];
            }
        }
    }

    public IReadOnlyList<Runtime> Runs
    {
        get
        {
            lock (_runs)
            {
                return _runs.ToArray();
            }
        }
    }

    public void Add(Runtime run)
    {
        lock (_runs)
        {
            _runs.Add(run);
        }
    }
}
