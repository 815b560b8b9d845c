using System.Text.Json;
using AgentSteps.Examples.Recipes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSteps.Examples.Web;

/// <summary>
/// <c>POST /recipes/stream {"query": "..."}</c>: runs the recipe workflow and writes its run events as server-sent events
/// while it runs (<c>step-started</c>, <c>step-completed</c>, <c>model-text</c>, <c>tool-call</c>), then <c>result</c> (the
/// recipe) or <c>error</c>, then <c>run-completed</c>, and ends the response. Each event's data is one line of JSON.
/// </summary>
/// <remarks>
/// The run is opened here rather than by the container, so that the watcher is registered before its first step: the
/// workflow from the container records into this ambient run. A client that goes away cancels the run.
/// </remarks>
public sealed class RecipeEventStreamer
{
    private readonly RuntimeOptions _options;
    private readonly JsonSerializerOptions _json;

    /// <summary>Initializes a new instance of the <see cref="RecipeEventStreamer"/> class.</summary>
    /// <param name="client">The model client.</param>
    /// <param name="json">The app's JSON options (camelCase), for the event data.</param>
    /// <param name="loggerFactory">The logger factory, for the runtime's log.</param>
    public RecipeEventStreamer(IChatClient client, IOptions<JsonOptions> json, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(json);

        // One options instance for every request: the first runtime compiles it, the others share that.
        _options = new RuntimeOptions { ChatClient = client, Logger = loggerFactory?.CreateLogger("AgentSteps") };
        _json = new JsonSerializerOptions(json.Value.SerializerOptions) { WriteIndented = false };
    }

    /// <summary>Runs the workflow for <paramref name="query"/>, streaming its events to the response.</summary>
    /// <param name="context">The request.</param>
    /// <param name="workflow">The workflow, from the request's scope.</param>
    /// <param name="query">The checked query.</param>
    /// <returns>A task that completes when the run has ended and the response is written.</returns>
    public async Task StreamAsync(HttpContext context, AsyncRecipeWorkflow workflow, string query)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(workflow);
        var aborted = context.RequestAborted;
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // a proxy in front (nginx) would otherwise hold the events back
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(aborted);

        using var runtime = new Runtime(_options); // ambient in this flow: the workflow records into it
        var events = runtime.WatchAsync(aborted); // registered before the first step starts
        var run = RunAsync(runtime, workflow, query, aborted);
        try
        {
            await foreach (var runEvent in events)
            {
                if (runEvent is RunCompletedEvent)
                {
                    // The result comes before the run's end, so that a client can stop reading at run-completed.
                    var (recipe, failure) = await run;
                    if (recipe is not null)
                    {
                        await WriteAsync(response, "result", recipe, aborted);
                    }
                    else
                    {
                        await WriteAsync(response, "error", new { message = failure }, aborted);
                    }
                }

                await WriteAsync(response, NameOf(runEvent), DataOf(runEvent), aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away: the run was cancelled with the same token; let it end before the runtime is disposed.
            await run;
        }
    }

    /// <summary>Runs the workflow and then ends the run, which sends the watcher its last event.</summary>
    private static async Task<(Recipe? Recipe, string? Failure)> RunAsync(Runtime runtime, AsyncRecipeWorkflow workflow, string query, CancellationToken cancellationToken)
    {
        try
        {
            return (await workflow.CreateRecipeAsync(query, cancellationToken), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, "The request was cancelled.");
        }
        catch (AgentStepsException e)
        {
            // The runtime has logged the details; as in POST /recipes, the client is told which step failed, never the
            // exception's message (it can carry the provider's error body).
            var step = runtime.ExecutedSteps.FirstOrDefault(s => !s.Succeeded && s.Children.All(c => c.Succeeded));
            return (null, $"Step '{(step is null ? "unknown" : $"{step.Workflow}.{step.Name}")}' failed: {e.GetType().Name}.");
        }
        finally
        {
            runtime.Dispose();
        }
    }

    private static string NameOf(RunEvent runEvent) => runEvent.Kind switch
    {
        RunEventKind.StepStarted => "step-started",
        RunEventKind.StepCompleted => "step-completed",
        RunEventKind.ModelText => "model-text",
        RunEventKind.ToolCall => "tool-call",
        RunEventKind.HumanInputRequested => "human-input-requested",
        RunEventKind.RunCompleted => "run-completed",
        _ => "run-event",
    };

    private static object DataOf(RunEvent runEvent) => runEvent switch
    {
        StepStartedEvent { Step: { } step } => new
        {
            key = step.Key,
            name = step.Name,
            workflow = step.Workflow,
            kind = step.Kind.ToString(),
            parent = step.Parent?.Key,
            loop = step.Loop,
            timestamp = runEvent.Timestamp,
        },
        StepCompletedEvent { Step: { } step } completed => new
        {
            key = step.Key,
            name = step.Name,
            succeeded = !completed.Failed,
            error = step.Exception?.GetType().Name, // the type only: the message can carry the provider's error body
            durationMs = step.Duration.TotalMilliseconds,
            model = step.Model,
            inputTokens = step.Usage?.InputTokenCount,
            outputTokens = step.Usage?.OutputTokenCount,
            timestamp = runEvent.Timestamp,
        },
        ModelTextEvent { Step: { } step } text => new
        {
            key = step.Key,
            name = step.Name,
            modelCall = text.ModelCall,
            delta = text.Delta,
            partialJson = text.PartialJson, // a string holding a JSON document, or null for a text step
        },
        ToolCallEvent { Step: { } step } toolCall => new
        {
            key = step.Key,
            name = step.Name,
            tool = toolCall.Call.Name,
            callId = toolCall.Call.CallId,
        },
        _ => new { runId = runEvent.Run.RunId, timestamp = runEvent.Timestamp },
    };

    private async Task WriteAsync(HttpResponse response, string name, object data, CancellationToken cancellationToken)
    {
        // The JSON is one line (not indented, and JSON escapes line breaks inside strings), as a data field must be.
        var json = JsonSerializer.Serialize(data, data.GetType(), _json);
        await response.WriteAsync($"event: {name}\ndata: {json}\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
