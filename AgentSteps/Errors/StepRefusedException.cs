namespace AgentSteps;

/// <summary>
/// Thrown when the model refuses to answer an LLM step, or its provider's content filter stops the reply.
/// </summary>
public sealed class StepRefusedException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="StepRefusedException"/> class.</summary>
    /// <param name="stepName">The qualified name of the step.</param>
    /// <param name="refusal">The model's refusal message, or a description of the filter that stopped the reply.</param>
    public StepRefusedException(string stepName, string refusal)
        : base($"The model refused step '{stepName}': {refusal}")
    {
        StepName = stepName;
        Refusal = refusal;
    }

    /// <summary>Gets the qualified name of the step.</summary>
    public string StepName { get; }

    /// <summary>Gets the model's refusal message.</summary>
    public string Refusal { get; }
}
