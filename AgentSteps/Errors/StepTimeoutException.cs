namespace AgentSteps;

/// <summary>
/// Thrown when a call of a step takes longer than its <see cref="StepAttribute.TimeoutSeconds"/>: the step's token was
/// cancelled when the time passed, and the step ended by that cancellation. Recorded on the step.
/// </summary>
public sealed class StepTimeoutException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="StepTimeoutException"/> class.</summary>
    /// <param name="stepName">The qualified name of the step, such as <c>RecipeWorkflow.CreateRecipe</c>.</param>
    /// <param name="timeout">The time one call of the step may take.</param>
    /// <param name="innerException">The cancellation the time limit caused, or <see langword="null"/>.</param>
    public StepTimeoutException(string stepName, TimeSpan timeout, Exception? innerException = null)
        : base($"Step '{stepName}' did not finish within its TimeoutSeconds = {timeout.TotalSeconds:0.###} and was cancelled. " +
               "Raise TimeoutSeconds on its [Step] attribute, or make the step do less per call.", innerException)
    {
        StepName = stepName;
        Timeout = timeout;
    }

    /// <summary>Gets the qualified name of the step that ran out of time.</summary>
    public string StepName { get; }

    /// <summary>Gets the time one call of the step may take.</summary>
    public TimeSpan Timeout { get; }
}
