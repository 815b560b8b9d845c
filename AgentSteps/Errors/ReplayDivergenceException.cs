namespace AgentSteps;

/// <summary>
/// A resumed run called a step at a key its journal holds, with other arguments than the journaled call: the workflow
/// took another path than the run it resumes (code between steps read the clock, random numbers or I/O, or its
/// inputs changed), so the journaled results cannot be trusted for it.
/// </summary>
public class ReplayDivergenceException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="ReplayDivergenceException"/> class.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="key">The step's key.</param>
    /// <param name="step">The step's qualified name.</param>
    /// <param name="journaledStep">The qualified name of the step the journal holds at that key.</param>
    /// <param name="journaledArgumentHash">The argument hash of the journaled call.</param>
    /// <param name="currentArgumentHash">The argument hash of the current call.</param>
    /// <param name="currentArgumentsJson">The current call's arguments as JSON.</param>
    public ReplayDivergenceException(string runId, string key, string step, string journaledStep, string journaledArgumentHash, string currentArgumentHash, string currentArgumentsJson)
        : base(
            $"Run '{runId}' diverged from its journal at step key '{key}': the journal holds a call of '{journaledStep}' with argument hash " +
            $"{journaledArgumentHash}, but the resumed run called '{step}' with other arguments (hash {currentArgumentHash}): {currentArgumentsJson}. " +
            "Code between steps must be deterministic (read the clock, random numbers or I/O in a step); start a new run for new inputs.")
    {
        RunId = runId;
        Key = key;
        Step = step;
        JournaledStep = journaledStep;
        JournaledArgumentHash = journaledArgumentHash;
        CurrentArgumentHash = currentArgumentHash;
        CurrentArgumentsJson = currentArgumentsJson;
    }

    /// <summary>Gets the run.</summary>
    public string RunId { get; }

    /// <summary>Gets the step's key.</summary>
    public string Key { get; }

    /// <summary>Gets the current call's step (qualified name).</summary>
    public string Step { get; }

    /// <summary>Gets the journaled call's step (qualified name).</summary>
    public string JournaledStep { get; }

    /// <summary>Gets the journaled call's argument hash.</summary>
    public string JournaledArgumentHash { get; }

    /// <summary>Gets the current call's argument hash.</summary>
    public string CurrentArgumentHash { get; }

    /// <summary>Gets the current call's arguments as JSON, keyed by parameter name.</summary>
    public string CurrentArgumentsJson { get; }
}
