namespace AgentSteps.Tests.TestDoubles;

/// <summary>Middleware that logs "before" and "after" around the rest of the pipeline, to assert stage order.</summary>
internal sealed class RecordingStage(List<string> log, string name) : IStepMiddleware
{
    public async ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        log.Add($"{name} before {context.Info.Name} (loop: {context.Step.Loop})");
        var result = await next(context);
        log.Add($"{name} after {context.Info.Name}");
        return result;
    }
}
