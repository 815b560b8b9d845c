using AgentSteps.StructuredOutput;

namespace AgentSteps.Pipeline;

/// <summary>
/// A journaled runtime's view of its run: the journal's steps, loaded once at first need (a run id the journal holds is
/// resumed), and the run's root call, saved on the first root step and closed when the runtime completes.
/// </summary>
internal sealed class RunJournalState(Runtime runtime, IRunJournal journal)
{
    private readonly Lock _gate = new();
    private Task<IReadOnlyDictionary<string, JournaledStep>>? _load;
    private JournaledRun? _root; // the run as saved on its first root step
    private int _rootFailed;

    public IRunJournal Journal => journal;

    /// <summary>Loads the run's journaled steps, once per runtime.</summary>
    public Task<IReadOnlyDictionary<string, JournaledStep>> StepsAsync()
    {
        lock (_gate)
        {
            // A load that failed (the journal was unreachable) is tried again by the next step.
            if (_load is null || _load.IsFaulted || _load.IsCanceled)
            {
                _load = journal.GetStepsAsync(runtime.RunId).AsTask();
            }

            return _load;
        }
    }

    /// <summary>Saves the run as running with its root call, on the first root step only.</summary>
    public async ValueTask StartRootAsync(StepContext context)
    {
        JournaledRun run;
        lock (_gate)
        {
            if (_root is not null)
            {
                return;
            }

            var descriptor = context.Descriptor;
            var now = runtime.Configuration.TimeProvider.GetUtcNow();
            _root = run = new JournaledRun(
                runtime.RunId,
                RunStatus.Running,
                descriptor.WorkflowType.AssemblyQualifiedName,
                descriptor.Name,
                StepVersion.ArgumentsJson(descriptor, context.ArgumentArray),
                now,
                now);
        }

        await journal.SaveRunAsync(run).ConfigureAwait(false);
    }

    /// <summary>Notes that a root step failed: the run ends as failed.</summary>
    public void RootFailed() => Volatile.Write(ref _rootFailed, 1);

    /// <summary>Saves the run's final status (completed, or failed when a root step failed), when a root step was journaled.</summary>
    public void Complete()
    {
        JournaledRun? run;
        lock (_gate)
        {
            run = _root;
        }

        if (run is null)
        {
            return;
        }

        var status = Volatile.Read(ref _rootFailed) == 1 ? RunStatus.Failed : RunStatus.Completed;
        try
        {
            var save = journal.SaveRunAsync(run with { Status = status, UpdatedAt = runtime.Configuration.TimeProvider.GetUtcNow() });
            if (!save.IsCompletedSuccessfully)
            {
                save.AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception)
        {
            // The runtime is ending (Dispose): a journal that cannot save the final status leaves the run marked running,
            // and resuming it replays every committed step, so nothing is lost but the status.
        }
    }
}
