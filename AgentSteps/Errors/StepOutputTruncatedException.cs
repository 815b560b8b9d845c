namespace AgentSteps;

/// <summary>
/// Thrown when the model's reply to an LLM step was cut off by the output token limit before it was complete.
/// </summary>
public sealed class StepOutputTruncatedException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="StepOutputTruncatedException"/> class.</summary>
    /// <param name="stepName">The qualified name of the step.</param>
    /// <param name="rawReply">The part of the reply that was received.</param>
    /// <param name="maxOutputTokens">The step's output token limit, when it set one.</param>
    public StepOutputTruncatedException(string stepName, string rawReply, int? maxOutputTokens)
        : base($"The model's reply to step '{stepName}' was cut off by the output token limit" +
               (maxOutputTokens is int max ? $" (MaxOutputTokens = {max})" : string.Empty) +
               ". Raise MaxOutputTokens on the [Step] attribute or ask for a shorter output.")
    {
        StepName = stepName;
        RawReply = rawReply;
        MaxOutputTokens = maxOutputTokens;
    }

    /// <summary>Gets the qualified name of the step.</summary>
    public string StepName { get; }

    /// <summary>Gets the part of the reply that was received before the cut.</summary>
    public string RawReply { get; }

    /// <summary>Gets the step's output token limit, or <see langword="null"/> when the provider's own limit applied.</summary>
    public int? MaxOutputTokens { get; }
}
