namespace AgentSteps.Pipeline;

/// <summary>
/// One job in the pipeline every step call runs through (record, loop guard, invoke...). A stage calls
/// <see cref="StepInvocation.NextAsync"/> to run the rest of the pipeline.
/// </summary>
internal interface IStepStage
{
    ValueTask<object?> InvokeAsync(StepInvocation invocation);
}
