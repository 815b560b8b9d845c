namespace AgentSteps.Pipeline;

/// <summary>The end of a code step's pipeline: runs the step's own body and awaits it when it is async.</summary>
internal static class CodeBodyHandler
{
    public static readonly StepHandler Instance = static context =>
        context.Sink is null ? context.Descriptor.Shape.FromBody(context.InvokeBody()) : ((IStreamShape)context.Descriptor.Shape).PumpAsync(context, context.InvokeBody());
}
