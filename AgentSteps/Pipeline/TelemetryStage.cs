using System.Diagnostics;

namespace AgentSteps.Pipeline;

/// <summary>
/// Reports each step to OpenTelemetry (a span, parented by the calling step's span; counts, durations, tokens) and to
/// the runtime's logger. When nothing listens it only passes the call on.
/// </summary>
internal sealed class TelemetryStage : IStepStage
{
    public static readonly TelemetryStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepInvocation invocation)
    {
        if (!AgentStepsTelemetry.ActivitySource.HasListeners() && !AgentStepsTelemetry.Steps.Enabled &&
            !AgentStepsTelemetry.Durations.Enabled && !AgentStepsTelemetry.Tokens.Enabled && !invocation.Runtime.Log.IsStepLogEnabled)
        {
            return invocation.NextAsync();
        }

        return ObserveAsync(invocation);
    }

    private static async ValueTask<object?> ObserveAsync(StepInvocation invocation)
    {
        var descriptor = invocation.Descriptor;
        using var activity = AgentStepsTelemetry.ActivitySource.StartActivity(descriptor.QualifiedName, ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("agentsteps.run.id", invocation.Runtime.RunId.ToString());
            activity.SetTag("agentsteps.workflow", descriptor.Workflow);
            activity.SetTag("agentsteps.step.name", descriptor.Name);
            activity.SetTag("agentsteps.step.kind", descriptor.Kind == StepKind.Llm ? "llm" : "code");
        }

        long started = Stopwatch.GetTimestamp();
        Exception? failure = null;
        try
        {
            return await invocation.NextAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            Report(invocation, activity, Stopwatch.GetElapsedTime(started), failure);
        }
    }

    private static void Report(StepInvocation invocation, Activity? activity, TimeSpan duration, Exception? failure)
    {
        var step = invocation.Step;
        var outcome = failure is null ? "success" : "error";
        var tags = new TagList
        {
            { "agentsteps.step.name", step.Name },
            { "agentsteps.step.kind", step.Kind == StepKind.Llm ? "llm" : "code" },
            { "agentsteps.step.outcome", outcome },
        };
        AgentStepsTelemetry.Steps.Add(1, tags);
        AgentStepsTelemetry.Durations.Record(duration.TotalSeconds, tags);
        if (step.Usage is { } usage)
        {
            AgentStepsTelemetry.Tokens.Add(usage.InputTokenCount ?? 0, new TagList { { "agentsteps.step.name", step.Name }, { "gen_ai.request.model", step.Model }, { "gen_ai.token.type", "input" } });
            AgentStepsTelemetry.Tokens.Add(usage.OutputTokenCount ?? 0, new TagList { { "agentsteps.step.name", step.Name }, { "gen_ai.request.model", step.Model }, { "gen_ai.token.type", "output" } });
        }

        if (activity is not null)
        {
            activity.SetTag("agentsteps.step.loop", step.Loop);
            activity.SetTag("agentsteps.step.outcome", outcome);
            if (step.Model is not null)
            {
                activity.SetTag("gen_ai.request.model", step.Model);
                activity.SetTag("agentsteps.step.model_calls", step.ModelCalls);
            }

            if (step.Usage is { } used)
            {
                activity.SetTag("gen_ai.usage.input_tokens", used.InputTokenCount);
                activity.SetTag("gen_ai.usage.output_tokens", used.OutputTokenCount);
            }

            if (failure is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, failure.Message);
                activity.SetTag("error.type", failure.GetType().FullName);
                activity.AddException(failure);
            }
        }

        invocation.Runtime.Log.StepFinished(invocation.Runtime.RunId, step, duration, failure);
    }
}
