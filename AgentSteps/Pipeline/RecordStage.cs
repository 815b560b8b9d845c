using System.Diagnostics;

namespace AgentSteps.Pipeline;

/// <summary>
/// Records the call: its place in the call tree, timing, and result or exception. First in the pipeline, so it sees
/// what every later stage did, loop-limit failures included.
/// </summary>
internal sealed class RecordStage : IStepStage
{
    public static readonly RecordStage Instance = new();

    public async ValueTask<object?> InvokeAsync(StepInvocation invocation)
    {
        var runtime = invocation.Runtime;
        var parent = Runtime.CurrentStep;
        if (parent is not null && !ReferenceEquals(parent.Owner, runtime))
        {
            parent = null; // A step of an outer runtime is not a parent in this one.
        }

        var step = new ExecutedStep(invocation.Descriptor, invocation.Arguments, parent, runtime);
        invocation.Step = step;

        // This method is async, so the change stays within this call and what it calls (await restores the caller's context).
        Runtime.CurrentStep = step;
        long started = Stopwatch.GetTimestamp();
        try
        {
            var result = await invocation.NextAsync().ConfigureAwait(false);
            step.Complete(result, Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (Exception e)
        {
            step.Fail(e, Stopwatch.GetElapsedTime(started));
            throw;
        }
        finally
        {
            runtime.Record(step);
        }
    }
}
