using AgentSteps.Internal;

namespace AgentSteps;

/// <summary>
/// Thrown when the call to the model of an LLM step fails (the provider answered with an error, or could not be reached)
/// after the client's own retries. Secrets the provider echoed (bearer tokens, API keys) are removed from the message
/// and from the exceptions it wraps.
/// </summary>
public sealed class StepModelException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="StepModelException"/> class.</summary>
    /// <param name="stepName">The qualified name of the step.</param>
    /// <param name="model">The model that was called.</param>
    /// <param name="innerException">
    /// The client's exception. When its message holds a secret, a redacted copy stands in for it, since loggers and
    /// traces print the whole exception chain.
    /// </param>
    public StepModelException(string stepName, string model, Exception innerException)
        : base($"Step '{stepName}' failed to call model '{model}': {Redaction.Redact(innerException?.Message)}",
               innerException is null ? null : Redaction.Sanitize(innerException))
    {
        StepName = stepName;
        Model = model;
    }

    /// <summary>Gets the qualified name of the step.</summary>
    public string StepName { get; }

    /// <summary>Gets the model that was called.</summary>
    public string Model { get; }
}
