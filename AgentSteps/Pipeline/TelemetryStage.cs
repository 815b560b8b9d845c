using System.Diagnostics;

namespace AgentSteps.Pipeline;

/// <summary>
/// Reports each step to OpenTelemetry (a span, parented by the calling step's span; counts, durations, tokens) and to
/// the runtime's logger. When nothing listens it only passes the call on.
/// </summary>
internal sealed class TelemetryStage : IStepMiddleware
{
    public static readonly TelemetryStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        if (!AgentStepsTelemetry.ActivitySource.HasListeners() && !AgentStepsTelemetry.Steps.Enabled &&
            !AgentStepsTelemetry.Durations.Enabled && !AgentStepsTelemetry.Tokens.Enabled && !context.Runtime.Log.IsStepLogEnabled)
        {
            return next(context);
        }

        return ObserveAsync(context, next);
    }

    private static async ValueTask<object?> ObserveAsync(StepContext context, StepHandler next)
    {
        var descriptor = context.Descriptor;
        using var activity = AgentStepsTelemetry.ActivitySource.StartActivity(descriptor.QualifiedName, ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("agentsteps.run.id", context.Runtime.RunId);
            activity.SetTag("agentsteps.workflow", context.Step.Workflow);
            activity.SetTag("agentsteps.step.name", descriptor.Name);
            activity.SetTag("agentsteps.step.key", context.Step.Key);
            activity.SetTag("agentsteps.step.kind", descriptor.Kind switch { StepKind.Llm => "llm", StepKind.Tool => "tool", _ => "code" });
        }

        var clock = context.Runtime.Configuration.TimeProvider;
        Exception? failure = null;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            Report(context, activity, clock.GetElapsedTime(context.Step.StartedTimestamp), failure);
        }
    }

    private static void Report(StepContext context, Activity? activity, TimeSpan duration, Exception? failure)
    {
        var step = context.Step;
        var outcome = failure is null ? "success" : "error";
        var tags = new TagList
        {
            { "agentsteps.step.name", step.Name },
            { "agentsteps.step.kind", step.Kind switch { StepKind.Llm => "llm", StepKind.Tool => "tool", _ => "code" } },
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
                // The exception's messages may carry a key an upstream service echoed: spans get them redacted.
                activity.SetStatus(ActivityStatusCode.Error, Internal.Redaction.Redact(failure.Message));
                activity.SetTag("error.type", failure.GetType().FullName);
                activity.AddException(Internal.Redaction.Sanitize(failure), new TagList { { "exception.type", failure.GetType().FullName } });
            }
        }

        context.Runtime.Log.StepFinished(context.Runtime.RunId, step, duration, failure);
    }
}
