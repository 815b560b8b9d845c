using AgentSteps.Examples.Kitchen;
using AgentSteps.Examples.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/hosting.md, compiled so that it stays true.</summary>
public static class HostingSnippets
{
    public static void Run(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        IChatClient openAI = RuntimeOptions.CreateOpenAIClient(builder.Configuration["OpenAI:ApiKey"], baseUrl: null);
        IChatClient ollama = RuntimeOptions.CreateOpenAIClient(apiKey: null, baseUrl: "http://localhost:11434/v1");
        builder.Services.AddChatClient(openAI).UseLogging();           // no UseOpenTelemetry(): CreateOpenAIClient has it
        builder.Services.AddKeyedChatClient("llama3.2", ollama);       // wins for steps whose model is llama3.2
        builder.Services.AddAgentSteps(options => options.EnableSensitiveData = false)
            .AddWorkflow<AsyncRecipeWorkflow>(ServiceLifetime.Scoped);

        var app = builder.Build();
        app.MapPost("/recipes/{query}", async (string query, AsyncRecipeWorkflow workflow, IRunAccessor runs, CancellationToken cancellationToken) =>
        {
            var recipe = await workflow.CreateRecipeAsync(query, cancellationToken);   // no 'using new Runtime()': the call opens its run
            return Results.Ok(new { recipe, steps = runs.LastRun!.FormatTree() });
        });
        app.Run();
    }

    public static void MiddlewareAndObservers(WebApplicationBuilder builder)
    {
        builder.Services.AddAgentSteps()
            .AddWorkflow<AsyncRecipeWorkflow>(ServiceLifetime.Scoped)
            .Use(new RetryMiddleware(attempts: 3))                   // around every step of the runs the container's workflows open
            .AddRunObserver(new ConsoleObserver());                  // told of every step and every finished run
    }

    public static void Tools(WebApplicationBuilder builder, IList<ModelContextProtocol.Client.McpClientTool> mcpTools)
    {
        builder.Services.AddAgentSteps(options => options.ApprovalHandler = (request, cancellationToken) => ValueTask.FromResult(false))
            .AddWorkflow<KitchenAgent>()
            .AddTool(KitchenTools.ConvertUnits)                  // an AIFunction, offered where a step names it in Tools
            .AddTools(mcpTools);                                 // the tools an MCP server listed
    }

    public static void Telemetry()
    {
        using var tracerProvider = Sdk.CreateTracerProviderBuilder()
            .AddSource("Microsoft.AspNetCore")     // the request's span, sampled: without it, no step span is recorded
            .AddAgentStepsInstrumentation()        // a span per step, GenAI spans per model call
            .Build();                              // add your exporter before Build(), such as AddOtlpExporter()
        using var meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddAgentStepsInstrumentation()        // step counts, durations, tokens
            .Build();
    }

    public static void TelemetryWithoutRequestSpans()
    {
        using var tracerProvider = Sdk.CreateTracerProviderBuilder()
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler(), localParentNotSampled: new AlwaysOnSampler()))
            .AddAgentStepsInstrumentation()
            .Build();
    }
}

public sealed partial class RunLogger(Microsoft.Extensions.Logging.ILogger<RunLogger> logger) : IRunObserver
{
    public void OnRunCompleted(Runtime run) => LogRun(logger, run.RunId, run.ExecutedSteps.Count);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Run {RunId} finished with {StepCount} steps")]
    private static partial void LogRun(Microsoft.Extensions.Logging.ILogger logger, string runId, int stepCount);
}
