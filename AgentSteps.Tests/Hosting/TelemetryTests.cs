using System.Diagnostics;
using AgentSteps.Examples.Recipes;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentSteps.Tests;

[NonParallelizable]
public class TelemetryTests
{
    /// <summary>Reports fixed token counts, as a provider does; the sample model reports none.</summary>
    private sealed class UsageReportingClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            response.Usage = new UsageDetails { InputTokenCount = 21, OutputTokenCount = 14, TotalTokenCount = 35 };
            return response;
        }
    }

    [Test]
    public void Spans_FollowTheCallTreeWithStepAttributesAndGenAiModelCalls()
    {
        var spans = new List<Activity>();
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddAgentStepsInstrumentation().AddInMemoryExporter(spans).Build())
        {
            var client = new UsageReportingClient(new SampleChatClient()).AsBuilder().UseOpenTelemetry().Build();
            using var runtime = new Runtime(client);
            Steps.Create<RecipeWorkflow>().CreateRecipe("soup");
        }

        // The sample model's first validation says "invalid", so CreateRecipe loops back once.
        var steps = spans.Where(s => s.Source.Name == AgentStepsTelemetry.SourceName).ToList();
        var attempt = new[] { "RecipeWorkflow.DraftRecipe", "RecipeWorkflow.ImproveRecipe", "RecipeWorkflow.ValidateRecipe", "RecipeWorkflow.CreateRecipe" };
        Assert.That(steps.Select(s => s.DisplayName), Is.EquivalentTo(attempt.Concat(attempt)));
        var root = steps.Single(s => s.DisplayName == "RecipeWorkflow.CreateRecipe" && s.GetTagItem("agentsteps.step.loop") is 1);
        var retry = steps.Single(s => s.DisplayName == "RecipeWorkflow.CreateRecipe" && s.GetTagItem("agentsteps.step.loop") is 2);
        Assert.That(steps.Where(s => s != root && s.ParentSpanId == root.SpanId).Select(s => s.DisplayName), Is.EquivalentTo(attempt));
        Assert.That(steps.Where(s => s.ParentSpanId == retry.SpanId).Select(s => s.DisplayName), Is.EquivalentTo(attempt.Take(3)));
        Assert.That(steps.Select(s => s.TraceId), Has.All.EqualTo(root.TraceId));
        Assert.That(root.GetTagItem("agentsteps.step.kind"), Is.EqualTo("code"));
        Assert.That(root.GetTagItem("agentsteps.step.outcome"), Is.EqualTo("success"));

        var draft = steps.First(s => s.DisplayName == "RecipeWorkflow.DraftRecipe");
        Assert.That(draft.GetTagItem("agentsteps.step.kind"), Is.EqualTo("llm"));
        Assert.That(draft.GetTagItem("gen_ai.request.model"), Is.EqualTo("gpt-4o-mini"));
        Assert.That(draft.GetTagItem("gen_ai.usage.input_tokens"), Is.EqualTo(21L));
        Assert.That(draft.GetTagItem("gen_ai.usage.output_tokens"), Is.EqualTo(14L));

        // Microsoft.Extensions.AI's OpenTelemetry client: GenAI "chat" spans, each a child of its LLM step's span.
        var chats = spans.Where(s => s.Source.Name == AgentStepsTelemetry.ChatClientSourceName).ToList();
        Assert.That(chats, Has.Count.EqualTo(6));
        Assert.That(chats.Select(c => c.DisplayName), Has.All.EqualTo("chat gpt-4o-mini"));
        Assert.That(chats.Select(c => c.ParentSpanId), Is.EquivalentTo(steps.Where(s => (string?)s.GetTagItem("agentsteps.step.kind") == "llm").Select(s => s.SpanId)));
        Assert.That(chats[0].GetTagItem("gen_ai.operation.name"), Is.EqualTo("chat"));
    }

    [Test]
    public void FailedStep_RecordsErrorStatusAndException()
    {
        var spans = new List<Activity>();
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddAgentStepsInstrumentation().AddInMemoryExporter(spans).Build())
        {
            using var runtime = new Runtime(new ScriptedChatClient("nope", "nope", "nope"));
            Assert.Throws<StepOutputException>(() => Steps.Create<RecipeWorkflow>().CreateRecipe("soup"));
        }

        var draft = spans.Single(s => s.DisplayName == "RecipeWorkflow.DraftRecipe");
        Assert.That(draft.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(draft.GetTagItem("agentsteps.step.outcome"), Is.EqualTo("error"));
        Assert.That(draft.GetTagItem("error.type"), Is.EqualTo(typeof(StepOutputException).FullName));
        Assert.That(draft.Events.Single().Name, Is.EqualTo("exception"));
        Assert.That(spans.Single(s => s.DisplayName == "RecipeWorkflow.CreateRecipe").Status, Is.EqualTo(ActivityStatusCode.Error));
    }

    [Test]
    public void Metrics_CountStepsDurationsAndTokens()
    {
        var exported = new List<Metric>();
        long expectedInput;
        List<Metric> metrics;
        using (var meters = Sdk.CreateMeterProviderBuilder().AddAgentStepsInstrumentation().AddInMemoryExporter(exported).Build())
        {
            using (var runtime = new Runtime(new UsageReportingClient(new SampleChatClient())))
            {
                Steps.Create<RecipeWorkflow>().CreateRecipe("soup");
                expectedInput = runtime.ExecutedSteps.Sum(s => s.Usage?.InputTokenCount ?? 0);
            }

            meters.ForceFlush();

            // One export; disposing the provider would export the cumulative values again.
            metrics = exported.ToList();
        }

        long Sum(string name, Func<MetricPoint, bool>? where = null)
        {
            long total = 0;
            foreach (var metric in metrics.Where(m => m.Name == name))
            {
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    if (where is null || where(point))
                    {
                        total += metric.MetricType == MetricType.Histogram ? point.GetHistogramCount() : point.GetSumLong();
                    }
                }
            }

            return total;
        }

        static object? Tag(MetricPoint point, string key)
        {
            foreach (var tag in point.Tags)
            {
                if (tag.Key == key)
                {
                    return tag.Value;
                }
            }

            return null;
        }

        // Two attempts: the sample model's first validation says "invalid".
        Assert.That(Sum("agentsteps.step.count"), Is.EqualTo(8));
        Assert.That(Sum("agentsteps.step.count", p => (string?)Tag(p, "agentsteps.step.kind") == "llm"), Is.EqualTo(6));
        Assert.That(Sum("agentsteps.step.duration"), Is.EqualTo(8));
        Assert.That(expectedInput, Is.EqualTo(6 * 21));
        Assert.That(Sum("agentsteps.tokens", p => (string?)Tag(p, "gen_ai.token.type") == "input"), Is.EqualTo(expectedInput));
    }
}
