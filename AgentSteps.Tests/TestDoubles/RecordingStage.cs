using AgentSteps.Pipeline;

namespace AgentSteps.Tests.TestDoubles;

/// <summary>A pipeline stage that logs "before" and "after" around the rest of the pipeline, to assert stage order.</summary>
internal sealed class RecordingStage(List<string> log, string name) : IStepStage
{
    public async ValueTask<object?> InvokeAsync(StepInvocation invocation)
    {
        log.Add($"{name} before {invocation.Descriptor.Name} (recorded: {invocation.Step is not null}, loop: {invocation.Step?.Loop})");
        var result = await invocation.NextAsync();
        log.Add($"{name} after {invocation.Descriptor.Name}");
        return result;
    }
}
