namespace AgentSteps.Pipeline;

/// <summary>
/// Throws when a step's entry in the run goes past its <see cref="StepAttribute.MaxLoops"/>. The run counts entries as
/// steps start (<see cref="ExecutedStep.Loop"/>), under the lock that numbers them.
/// </summary>
internal sealed class LoopGuardStage : IStepMiddleware
{
    public static readonly LoopGuardStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        var descriptor = context.Descriptor;
        if (descriptor.MaxLoops > 0 && context.Step.Loop > descriptor.MaxLoops)
        {
            throw new MaxLoopsExceededException(descriptor.QualifiedName, descriptor.MaxLoops);
        }

        return next(context);
    }
}
