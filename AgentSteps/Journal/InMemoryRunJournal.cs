namespace AgentSteps;

/// <summary>
/// An <see cref="IRunJournal"/> that keeps runs in memory for the process's life: for tests, and for hosts that want
/// human steps and replay within one process. Nothing survives a restart; use <c>SqliteRunJournal</c> for that.
/// </summary>
/// <remarks>Safe to call from several threads at once: every member takes one lock for its short, synchronous work.</remarks>
public sealed class InMemoryRunJournal : IRunJournal
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RunEntry> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, JournaledStep>> _steps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<PendingEntry>> _pending = new(StringComparer.Ordinal);
    private long _sequence;

    /// <inheritdoc/>
    public ValueTask<JournaledRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(_runs.TryGetValue(runId, out var entry) ? entry.Run : null);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JournaledRun>> ListRunsAsync(RunStatus? status = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<JournaledRun> runs = _runs.Values
                .Where(entry => status is null || entry.Run.Status == status)
                .OrderBy(entry => entry.Run.CreatedAt)
                .ThenBy(entry => entry.Sequence)
                .Select(entry => entry.Run)
                .ToArray();
            return ValueTask.FromResult(runs);
        }
    }

    /// <inheritdoc/>
    public ValueTask SaveRunAsync(JournaledRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrEmpty(run.RunId, nameof(run));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_runs.TryGetValue(run.RunId, out var existing))
            {
                existing.Run = run with { CreatedAt = existing.Run.CreatedAt };
            }
            else
            {
                _runs.Add(run.RunId, new RunEntry(run, _sequence++));
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask CommitStepAsync(string runId, JournaledStep step, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(step.Key, nameof(step));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_steps.TryGetValue(runId, out var steps))
            {
                steps = new Dictionary<string, JournaledStep>(StringComparer.Ordinal);
                _steps.Add(runId, steps);
            }

            steps[step.Key] = step;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyDictionary<string, JournaledStep>> GetStepsAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            // A copy: the caller reads a snapshot while parallel steps go on committing.
            IReadOnlyDictionary<string, JournaledStep> steps = _steps.TryGetValue(runId, out var found)
                ? new Dictionary<string, JournaledStep>(found, StringComparer.Ordinal)
                : new Dictionary<string, JournaledStep>(StringComparer.Ordinal);
            return ValueTask.FromResult(steps);
        }
    }

    /// <inheritdoc/>
    /// <remarks>A question that has already been answered is kept as it is, with its answer.</remarks>
    public ValueTask AddPendingAsync(string runId, PendingInput request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Key, nameof(request));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_pending.TryGetValue(runId, out var pending))
            {
                pending = [];
                _pending.Add(runId, pending);
            }

            var index = pending.FindIndex(entry => entry.Request.Key == request.Key);
            var entry = new PendingEntry(request with { Answered = false }, Answer: null);
            if (index < 0)
            {
                pending.Add(entry);
            }
            else if (pending[index].Answer is null)
            {
                pending[index] = entry;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PendingInput>> GetPendingAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<PendingInput> pending = _pending.TryGetValue(runId, out var found)
                ? found.Select(entry => entry.Request with { Answered = entry.Answer is not null }).ToArray()
                : [];
            return ValueTask.FromResult(pending);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With no <see cref="PendingInput.AnswerSchema"/> the answer is text and is stored as given. Answering again
    /// replaces the answer.
    /// </remarks>
    public async ValueTask AnswerAsync(string runId, string key, string answerJson, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(answerJson);

        var request = Find(runId, key)?.Request
            ?? throw new KeyNotFoundException($"Run '{runId}' has no question under key '{key}'; answer one of the keys that GetPendingAsync lists.");

        // Validated outside the lock: parsing the schema is async and may be slow, and the question's schema for a
        // key does not change once asked.
        await AnswerValidator.ValidateAsync(runId, request, answerJson, cancellationToken).ConfigureAwait(false);

        lock (_lock)
        {
            var pending = _pending[runId];
            var index = pending.FindIndex(entry => entry.Request.Key == key);
            pending[index] = pending[index] with { Answer = answerJson };
        }
    }

    /// <inheritdoc/>
    public ValueTask<string?> GetAnswerAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Find(runId, key)?.Answer);
    }

    private PendingEntry? Find(string runId, string key)
    {
        lock (_lock)
        {
            return _pending.TryGetValue(runId, out var pending) ? pending.Find(entry => entry.Request.Key == key) : null;
        }
    }

    private sealed class RunEntry(JournaledRun run, long sequence)
    {
        public JournaledRun Run { get; set; } = run;

        public long Sequence { get; } = sequence;
    }

    private sealed record PendingEntry(PendingInput Request, string? Answer);
}
