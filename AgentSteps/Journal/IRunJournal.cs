namespace AgentSteps;

/// <summary>Where a journaled run stands.</summary>
public enum RunStatus
{
    /// <summary>The run started and has not ended: running now, or cut short by a crash (a host resumes these).</summary>
    Running,

    /// <summary>The run waits for input from a person (a human step); answering resumes it.</summary>
    Suspended,

    /// <summary>The run ended with its result.</summary>
    Completed,

    /// <summary>The run ended with an exception.</summary>
    Failed,
}

/// <summary>A run as its journal keeps it: its id, status and root call.</summary>
/// <param name="RunId">The run's id (<see cref="RuntimeOptions"/>' run id).</param>
/// <param name="Status">Where the run stands.</param>
/// <param name="WorkflowType">The assembly-qualified name of the root call's workflow type, or <see langword="null"/> before the first step.</param>
/// <param name="RootStep">The name of the root call's step, or <see langword="null"/> before the first step.</param>
/// <param name="ArgumentsJson">The root call's arguments as a JSON object keyed by parameter name, or <see langword="null"/>.</param>
/// <param name="CreatedAt">When the run was first journaled.</param>
/// <param name="UpdatedAt">When the run was last changed.</param>
public sealed record JournaledRun(
    string RunId,
    RunStatus Status,
    string? WorkflowType,
    string? RootStep,
    string? ArgumentsJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A finished step as its run's journal keeps it, under its <see cref="ExecutedStep.Key"/>.</summary>
/// <param name="Key">The step's key within its run (<c>CreateRecipe:1/DraftRecipe:1</c>).</param>
/// <param name="Step">The step's qualified name (<c>RecipeWorkflow.DraftRecipe</c>).</param>
/// <param name="ArgumentHash">A hash of the call's arguments: the same key with another hash is a divergence.</param>
/// <param name="Version">A hash of the step's definition (description, prompt, output schema, options, body): a step whose version changed runs again.</param>
/// <param name="ResultJson">The step's result as JSON, or <see langword="null"/> when it failed (or returned nothing).</param>
/// <param name="ExceptionType">The full name of the exception the step failed with, or <see langword="null"/>.</param>
/// <param name="ExceptionMessage">The message of the exception the step failed with, or <see langword="null"/>.</param>
/// <param name="InputTokens">The input tokens the step's model calls used.</param>
/// <param name="OutputTokens">The output tokens the step's model calls used.</param>
/// <param name="ModelCalls">The model calls the step made.</param>
/// <param name="StartedAt">When the step started.</param>
/// <param name="Duration">How long the step ran.</param>
public sealed record JournaledStep(
    string Key,
    string Step,
    string ArgumentHash,
    string Version,
    string? ResultJson,
    string? ExceptionType,
    string? ExceptionMessage,
    long InputTokens,
    long OutputTokens,
    int ModelCalls,
    DateTimeOffset StartedAt,
    TimeSpan Duration)
{
    /// <summary>Gets a value indicating whether the step failed.</summary>
    public bool Failed => ExceptionType is not null;
}

/// <summary>A question a human step asked, waiting for its answer in a suspended run.</summary>
/// <param name="Key">The human step's key, by which it is answered.</param>
/// <param name="Step">The human step's qualified name.</param>
/// <param name="Question">The question (the step's <c>[Description]</c> and its arguments).</param>
/// <param name="AnswerSchema">The JSON schema the answer must follow, or <see langword="null"/> for a text answer.</param>
/// <param name="Answered">Whether an answer has been stored.</param>
public sealed record PendingInput(string Key, string Step, string Question, string? AnswerSchema, bool Answered = false);

/// <summary>
/// Keeps runs so that they survive the process: each finished step is committed under its key before its caller goes
/// on, and a runtime opened with the id of a journaled run replays the committed steps instead of running them again.
/// <c>InMemoryRunJournal</c> keeps runs for the process's life; <c>SqliteRunJournal</c> (AgentSteps.Sqlite) in
/// one file.
/// </summary>
/// <remarks>
/// Implementations must be safe to call from several threads at once (parallel steps commit concurrently), and each
/// method must be durable when its task completes: a commit that returned survives a crash.
/// </remarks>
public interface IRunJournal
{
    /// <summary>Gets a run, or <see langword="null"/> when the journal has none of that id.</summary>
    ValueTask<JournaledRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Lists the runs, all or those of one status, oldest first.</summary>
    ValueTask<IReadOnlyList<JournaledRun>> ListRunsAsync(RunStatus? status = null, CancellationToken cancellationToken = default);

    /// <summary>Creates the run, or updates its status and root call when it exists (a resumed run keeps its creation time).</summary>
    ValueTask SaveRunAsync(JournaledRun run, CancellationToken cancellationToken = default);

    /// <summary>Commits a finished step under its key, replacing what that key held (a step that ran again).</summary>
    ValueTask CommitStepAsync(string runId, JournaledStep step, CancellationToken cancellationToken = default);

    /// <summary>Gets the run's committed steps by key.</summary>
    ValueTask<IReadOnlyDictionary<string, JournaledStep>> GetStepsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Records a question a human step asked (replacing an unanswered one of the same key).</summary>
    ValueTask AddPendingAsync(string runId, PendingInput request, CancellationToken cancellationToken = default);

    /// <summary>Gets the run's questions, answered or not.</summary>
    ValueTask<IReadOnlyList<PendingInput>> GetPendingAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the answer to a human step's question. The answer is checked against the question's
    /// <see cref="PendingInput.AnswerSchema"/> first; a wrong one is refused with the schema's errors.
    /// </summary>
    /// <exception cref="ArgumentException">The answer is not valid JSON, or does not fit the schema (the message lists the errors).</exception>
    /// <exception cref="KeyNotFoundException">The run has no question under <paramref name="key"/>.</exception>
    ValueTask AnswerAsync(string runId, string key, string answerJson, CancellationToken cancellationToken = default);

    /// <summary>Gets the stored answer to a question, or <see langword="null"/> when it has none.</summary>
    ValueTask<string?> GetAnswerAsync(string runId, string key, CancellationToken cancellationToken = default);
}
