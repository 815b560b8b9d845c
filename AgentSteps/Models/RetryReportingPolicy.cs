using System.ClientModel.Primitives;

namespace AgentSteps;

/// <summary>
/// Runs on every try of an HTTP request the OpenAI client makes, so that the client's own retries (after HTTP 429 or
/// 5xx) are visible: each try after the first counts as one more model call on the step that made it, and is logged.
/// </summary>
internal sealed class RetryReportingPolicy : PipelinePolicy
{
    public static readonly RetryReportingPolicy Instance = new();

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        BeforeTry(message);
        try
        {
            ProcessNext(message, pipeline, currentIndex);
        }
        finally
        {
            AfterTry(message);
        }
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        BeforeTry(message);
        try
        {
            await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        }
        finally
        {
            AfterTry(message);
        }
    }

    private static void BeforeTry(PipelineMessage message)
    {
        if (!message.TryGetProperty(typeof(RetryReportingPolicy), out var state) || state is not TryState tries)
        {
            message.SetProperty(typeof(RetryReportingPolicy), new TryState());
            return;
        }

        tries.Count++;
        if (Runtime.CurrentStep is { } step && step.Kind == StepKind.Llm)
        {
            step.ModelRecord.CountCall();
            Pipeline.BudgetGuard.CountClientRetry(step);
            step.Owner.Log.ClientRetried(step.Workflow + "." + step.Name, step.Model ?? "?", tries.Count, tries.LastStatus);
        }
    }

    private static void AfterTry(PipelineMessage message)
    {
        if (message.TryGetProperty(typeof(RetryReportingPolicy), out var state) && state is TryState tries)
        {
            tries.LastStatus = message.Response?.Status;
        }
    }

    private sealed class TryState
    {
        public int Count { get; set; } = 1;

        public int? LastStatus { get; set; }
    }
}
