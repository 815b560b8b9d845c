namespace AgentSteps.Pipeline;

/// <summary>Counts the entries of each step in the run and throws past its <see cref="StepAttribute.MaxLoops"/>.</summary>
internal sealed class LoopGuardStage : IStepMiddleware
{
    public static readonly LoopGuardStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        var descriptor = context.Descriptor;
        int entry = context.Runtime.Enter(descriptor);
        context.Step.Loop = entry;
        if (descriptor.MaxLoops > 0 && entry > descriptor.MaxLoops)
        {
            throw new MaxLoopsExceededException(descriptor.QualifiedName, descriptor.MaxLoops);
        }

        return next(context);
    }
}
