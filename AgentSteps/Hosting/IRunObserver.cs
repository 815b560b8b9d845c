namespace AgentSteps;

/// <summary>
/// Watches runs: told when each step starts and ends and when the run ends. Add observers to
/// <see cref="RuntimeOptions.Observers"/>, or register them in the container (<c>AddRunObserver</c>) for the runs of
/// workflows resolved from it.
/// </summary>
/// <remarks>
/// Each method is called on the flow that ran the step, in order: a step's start before its children's, its end after
/// theirs. Every method has an empty default, so an observer implements only what it needs. An observer that throws is
/// logged (to the runtime's logger) and ignored: it never changes a run or a step's result.
/// </remarks>
public interface IRunObserver
{
    /// <summary>Called when a step starts, before its body or its model call runs.</summary>
    /// <param name="step">The step's record: its name, key, parent and arguments; its result is not known yet.</param>
    void OnStepStarted(ExecutedStep step)
    {
    }

    /// <summary>Called when a step ends, successfully or not (see <see cref="ExecutedStep.Exception"/>).</summary>
    /// <param name="step">The finished step.</param>
    void OnStepCompleted(ExecutedStep step)
    {
    }

    /// <summary>
    /// Called once per run when it ends: when a <see cref="Runtime"/> is disposed, or when the top-level call of a workflow
    /// resolved from the container (which opens its own run) returns or throws.
    /// </summary>
    /// <param name="run">The finished run, with its <see cref="Runtime.ExecutedSteps"/>.</param>
    void OnRunCompleted(Runtime run)
    {
    }

    /// <summary>
    /// Called as a model's text for an LLM step arrives. An observer that implements this makes every LLM step stream
    /// its reply from the model, as a watcher does (see <see cref="Runtime.WatchAsync"/>).
    /// </summary>
    /// <param name="modelText">The text: the new piece, the text so far and, for JSON output, the partial document.</param>
    void OnModelText(ModelTextEvent modelText)
    {
    }

    /// <summary>Called when a model asks an LLM step for a tool call, before the call runs.</summary>
    /// <param name="toolCall">The call.</param>
    void OnToolCall(ToolCallEvent toolCall)
    {
    }

    /// <summary>Called when a human step asks a person for input.</summary>
    /// <param name="request">The request: the step's key, the question and the answer's schema.</param>
    void OnHumanInputRequested(HumanInputRequestedEvent request)
    {
    }
}
