namespace AgentSteps;

/// <summary>
/// Thrown when a model asks for more tool calls within one run of an LLM step than its
/// <see cref="StepAttribute.MaxToolCalls"/> allows. None of the calls of the reply that went past the limit runs.
/// </summary>
public sealed class MaxToolCallsExceededException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="MaxToolCallsExceededException"/> class.</summary>
    /// <param name="stepName">The qualified name of the LLM step, such as <c>KitchenAgent.PlanDinnerAsync</c>.</param>
    /// <param name="maxToolCalls">The number of tool calls the step allows in one run.</param>
    /// <param name="requested">The number of tool calls the model had asked for, the reply that went past the limit included.</param>
    public MaxToolCallsExceededException(string stepName, int maxToolCalls, int requested)
        : base($"LLM step '{stepName}' asked for {requested} tool calls, more than its MaxToolCalls = {maxToolCalls} allows in one run. " +
               "Raise MaxToolCalls on its [Step] attribute, or tell the model in its [Description] to answer with fewer calls.")
    {
        StepName = stepName;
        MaxToolCalls = maxToolCalls;
        Requested = requested;
    }

    /// <summary>Gets the qualified name of the LLM step that exceeded its limit.</summary>
    public string StepName { get; }

    /// <summary>Gets the number of tool calls the step allows in one run.</summary>
    public int MaxToolCalls { get; }

    /// <summary>Gets the number of tool calls the model had asked for when the step stopped.</summary>
    public int Requested { get; }
}
