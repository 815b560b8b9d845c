namespace AgentSteps;

/// <summary>
/// Thrown when a step is entered more often within one run than its <see cref="StepAttribute.MaxLoops"/> allows.
/// </summary>
public sealed class MaxLoopsExceededException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="MaxLoopsExceededException"/> class.</summary>
    /// <param name="stepName">The qualified name of the step, such as <c>RecipeWorkflow.CreateRecipe</c>.</param>
    /// <param name="maxLoops">The number of entries the step allows in one run.</param>
    public MaxLoopsExceededException(string stepName, int maxLoops)
        : base($"Step '{stepName}' was entered more than its MaxLoops = {maxLoops} allows in one run. " +
               "Raise MaxLoops on its [Step] attribute, or change the workflow so that it stops looping sooner.")
    {
        StepName = stepName;
        MaxLoops = maxLoops;
    }

    /// <summary>Gets the qualified name of the step that exceeded its limit.</summary>
    public string StepName { get; }

    /// <summary>Gets the number of entries the step allows in one run.</summary>
    public int MaxLoops { get; }
}
