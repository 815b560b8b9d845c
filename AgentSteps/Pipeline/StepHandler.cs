namespace AgentSteps;

/// <summary>
/// Runs the rest of a step's pipeline: the later middleware and, at the end, the step's body or its model call.
/// </summary>
/// <param name="context">The call being handled.</param>
/// <returns>The step's result (<see langword="null"/> for a step that returns nothing).</returns>
public delegate ValueTask<object?> StepHandler(StepContext context);
