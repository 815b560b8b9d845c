using AgentSteps.Examples.Recipes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/hosting.md, compiled so that it stays true.</summary>
public static class HostingSnippets
{
    public static WebApplication Build(string[] args, IChatClient openAI, IChatClient ollama)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddChatClient(openAI).UseLogging().UseOpenTelemetry();   // Microsoft.Extensions.AI, as usual
        builder.Services.AddKeyedChatClient("llama3.2", ollama);                   // wins for steps whose model is llama3.2
        builder.Services.AddAgentSteps(options => options.EnableSensitiveData = false)
            .AddWorkflow<RecipeWorkflow>(ServiceLifetime.Scoped);

        var app = builder.Build();
        app.MapPost("/recipes/{query}", (string query, RecipeWorkflow workflow, IRunAccessor runs) =>
        {
            var recipe = workflow.CreateRecipe(query);                             // no 'using new Runtime()': the call opens its run
            return Results.Ok(new { recipe, steps = runs.LastRun!.FormatTree() });
        });
        return app;
    }

    public static void AddTelemetry(TracerProviderBuilder tracing, MeterProviderBuilder metrics)
    {
        tracing.AddAgentStepsInstrumentation();                                    // a span per step, GenAI spans per model call
        metrics.AddAgentStepsInstrumentation();                                    // step counts, durations, tokens
    }
}

public sealed partial class RunLogger(Microsoft.Extensions.Logging.ILogger<RunLogger> logger) : IRunObserver
{
    public void OnRunCompleted(Runtime run) => LogRun(logger, run.RunId, run.ExecutedSteps.Count);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Run {RunId} finished with {StepCount} steps")]
    private static partial void LogRun(Microsoft.Extensions.Logging.ILogger logger, Guid runId, int stepCount);
}
