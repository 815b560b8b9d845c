namespace AgentSteps.Pipeline;

/// <summary>Runs a code step's own body and awaits it when it is async.</summary>
internal sealed class CodeBodyStage : IStepStage
{
    public static readonly CodeBodyStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepInvocation invocation) =>
        invocation.Descriptor.Shape.FromBody(invocation.InvokeBody());
}
