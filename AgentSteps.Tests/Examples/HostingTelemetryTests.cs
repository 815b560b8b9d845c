using System.Diagnostics;
using System.Text;
using AgentSteps.Examples.Snippets;
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
        var root = spans.Single(s => s.DisplayName == "AsyncRecipeWorkflow.CreateRecipeAsync" && s.ParentSpanId == request.SpanId);
        Assert.That(spans.Where(s => s.Source.Name == AgentStepsTelemetry.SourceName && s.ParentSpanId == root.SpanId).Select(s => s.DisplayName),
            Is.EquivalentTo(new[]
            {
                "AsyncRecipeWorkflow.DraftRecipeAsync", "AsyncRecipeWorkflow.ImproveRecipeAsync", "AsyncRecipeWorkflow.ValidateRecipeAsync",
                "AsyncRecipeWorkflow.CreateRecipeAsync", // the sample model's first validation says "invalid": one loop back
            }));
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

    [TestCase(false, 1)]
    [TestCase(true, 2)]
    public async Task AddChatClient_CreateOpenAIClient_ChatSpansPerModelCall(bool addUseOpenTelemetryAgain, int expected)
    {
        await using var server = await OpenAIWireServer.StartAsync();
        server.ReplyContent("Steam rises, / tea is ready.");
        var services = new ServiceCollection().AddLogging();
        var pipeline = services.AddChatClient(RuntimeOptions.CreateOpenAIClient("test-key", server.BaseUrl)).UseLogging();   // as hosting.md registers it
        if (addUseOpenTelemetryAgain)
        {
            pipeline.UseOpenTelemetry();
        }

        services.AddAgentSteps().AddWorkflow<ReviewWorkflow>();
        var spans = new List<Activity>();
        using (Sdk.CreateTracerProviderBuilder().AddAgentStepsInstrumentation().AddInMemoryExporter(spans).Build())
        {
            await using var provider = services.BuildServiceProvider();
            Assert.That(provider.GetRequiredService<ReviewWorkflow>().Poem("tea"), Is.EqualTo("Steam rises, / tea is ready."));
        }

        var step = spans.Single(s => s.Source.Name == AgentStepsTelemetry.SourceName);
        var chats = spans.Where(s => s.Source.Name == AgentStepsTelemetry.ChatClientSourceName).ToList();
        Assert.That(chats, Has.Count.EqualTo(expected), addUseOpenTelemetryAgain ? "a second UseOpenTelemetry nests a second chat span" : "one chat span per model call");
        Assert.That(chats.Select(c => c.TraceId), Has.All.EqualTo(step.TraceId));
    }
}
