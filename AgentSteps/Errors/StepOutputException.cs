namespace AgentSteps;

/// <summary>
/// Thrown when the model's reply to an LLM step still cannot be parsed or validated after every retry, or is longer than
/// the step's <see cref="StepAttribute.MaxReplyLength"/>. The message holds no model output (it reaches logs and traces
/// even when sensitive data is off); the reply and its errors are on <see cref="RawReply"/> and <see cref="Errors"/>.
/// </summary>
public sealed class StepOutputException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="StepOutputException"/> class.</summary>
    /// <param name="stepName">The qualified name of the step.</param>
    /// <param name="rawReply">The model's last reply, as text.</param>
    /// <param name="errors">What was wrong with the last reply.</param>
    /// <param name="attempts">How many replies were asked for in all.</param>
    public StepOutputException(string stepName, string rawReply, IReadOnlyList<string> errors, int attempts)
        : base($"Step '{stepName}' got no valid reply from the model after {attempts} attempt(s); the last reply had " +
               $"{errors?.Count ?? 0} error(s). StepOutputException.Errors lists them and RawReply holds the reply " +
               "(neither is in this message, since model output may be sensitive).")
    {
        StepName = stepName;
        RawReply = rawReply;
        Errors = errors ?? [];
        Attempts = attempts;
    }

    /// <summary>Gets the qualified name of the step.</summary>
    public string StepName { get; }

    /// <summary>Gets the model's last reply, exactly as it was received.</summary>
    public string RawReply { get; }

    /// <summary>
    /// Gets what was wrong with the last reply, each as <c>$.path: what is wrong</c>: parse errors, schema violations or
    /// validation errors.
    /// </summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Gets how many replies were asked for in all (the first call and the retries).</summary>
    public int Attempts { get; }
}
