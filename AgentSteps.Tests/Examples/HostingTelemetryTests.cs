using System.Diagnostics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace AgentSteps.Tests;

/// <summary>
/// What docs/hosting.md says about tracing in ASP.NET Core: the request's activity is the parent of the step spans, so
/// unless the request is sampled (or the sampler ignores an unsampled local parent), no step span is recorded.
/// </summary>
[NonParallelizable]
public class HostingTelemetryTests
{
    private static async Task<List<Activity>> PostRecipeAsync(Func<TracerProviderBuilder, TracerProviderBuilder> configure)
    {
        var spans = new List<Activity>();
        using (configure(Sdk.CreateTracerProviderBuilder()).AddInMemoryExporter(spans).Build())
        {
            await using var factory = new RecipeApiFactory(new SampleChatClient());
            using var http = factory.CreateClient();
            using var response = await http.PostAsync("/recipes", new StringContent("""{"query": "soup"}""", Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
        }

        return spans;
    }

    [Test]
    public async Task PostRecipes_OnlyAgentStepsInstrumentation_RecordsNoStepSpan()
    {
        var spans = await PostRecipeAsync(tracing => tracing.AddAgentStepsInstrumentation());

        Assert.That(spans.Select(s => s.DisplayName), Is.Empty, "the parent-based sampler drops spans under the unsampled request activity");
    }

    [Test]
    public async Task PostRecipes_RequestSourceAdded_RecordsStepSpansUnderTheRequestSpan()
    {
        var spans = await PostRecipeAsync(tracing => tracing.AddSource("Microsoft.AspNetCore").AddAgentStepsInstrumentation());

        var request = spans.Single(s => s.Source.Name == "Microsoft.AspNetCore");
        var root = spans.Single(s => s.DisplayName == "AsyncRecipeWorkflow.CreateRecipeAsync");
        Assert.That(root.ParentSpanId, Is.EqualTo(request.SpanId));
        Assert.That(spans.Where(s => s.Source.Name == AgentStepsTelemetry.SourceName && s.ParentSpanId == root.SpanId).Select(s => s.DisplayName),
            Is.EquivalentTo(new[] { "AsyncRecipeWorkflow.DraftRecipeAsync", "AsyncRecipeWorkflow.ImproveRecipeAsync", "AsyncRecipeWorkflow.ValidateRecipeAsync" }));
    }

    [Test]
    public async Task PostRecipes_SamplerKeepsUnsampledLocalParents_RecordsStepSpans()
    {
        var spans = await PostRecipeAsync(tracing => tracing
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler(), localParentNotSampled: new AlwaysOnSampler()))
            .AddAgentStepsInstrumentation());

        Assert.That(spans.Where(s => s.Source.Name == AgentStepsTelemetry.SourceName).Select(s => s.DisplayName),
            Has.Member("AsyncRecipeWorkflow.CreateRecipeAsync").And.Member("AsyncRecipeWorkflow.DraftRecipeAsync"));
    }
}
