namespace AgentSteps.Pipeline;

/// <summary>Counts the entries of each step in the run and throws past its <see cref="StepAttribute.MaxLoops"/>.</summary>
internal sealed class LoopGuardStage : IStepStage
{
    public static readonly LoopGuardStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepInvocation invocation)
    {
        var descriptor = invocation.Descriptor;
        int entry = invocation.Runtime.Enter(descriptor);
        invocation.Step.Loop = entry;
        if (descriptor.MaxLoops > 0 && entry > descriptor.MaxLoops)
        {
            throw new MaxLoopsExceededException(descriptor.QualifiedName, descriptor.MaxLoops);
        }

        return invocation.NextAsync();
    }
}
