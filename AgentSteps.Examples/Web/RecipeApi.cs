using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace AgentSteps.Examples.Web;

/// <summary>
/// A small ASP.NET Core app around the recipe workflow: <c>POST /recipes {"query": "..."}</c> returns the recipe and its
/// step tree; <c>POST /recipes/stream {"query": "..."}</c> streams the run's events as server-sent events (see
/// <see cref="RecipeEventStreamer"/>); <c>GET /</c> is a page that shows a recipe appearing as it streams;
/// <c>GET /recipes/graph</c> returns the workflow's DOT. The workflow (async steps, so a request holds no thread while the
/// model answers) comes from the container and opens its own run per request.
/// </summary>
public sealed class RecipeApi
{
    /// <summary>The largest request body accepted, in bytes.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    private RecipeApi()
    {
    }

    /// <summary>Registers the app's services; the <c>IChatClient</c> is registered by the caller (AddChatClient).</summary>
    public static void ConfigureServices(IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddRouting();

        // One casing for the whole body: properties and dictionary keys (step arguments) in camelCase, as problem details are.
        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            options.SerializerOptions.DictionaryKeyPolicy = JsonNamingPolicy.CamelCase;
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        services.AddAgentSteps().AddWorkflow<AsyncRecipeWorkflow>(ServiceLifetime.Scoped);
        services.AddSingleton<RecipeEventStreamer>();
    }

    public static void Configure(IApplicationBuilder app)
    {
        // Unexpected failures become a 500 problem-details answer, never a stack trace.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseEndpoints(endpoints => MapRecipes(endpoints));
    }

    public static void MapRecipes(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/recipes", CreateAsync);
        endpoints.MapPost("/recipes/stream", StreamAsync);
        endpoints.MapGet("/", () => Results.Content(StreamPage.Html, "text/html; charset=utf-8"));
        endpoints.MapGet("/recipes/graph", () => Results.Text(
            StepGraph.For<AsyncRecipeWorkflow>(nameof(AsyncRecipeWorkflow.CreateRecipeAsync)).ToDot(), "text/vnd.graphviz"));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, AsyncRecipeWorkflow workflow, IRunAccessor runs)
    {
        // JSON only: a cross-site HTML form can post text/plain or form data without a preflight, and spend tokens.
        if (!IsJson(context.Request.ContentType))
        {
            return NotJson();
        }

        var (query, problem) = await ReadQueryAsync(context.Request, context.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            var recipe = await workflow.CreateRecipeAsync(query!, context.RequestAborted);
            var run = runs.LastRun!;
            return Results.Ok(new RecipeResponse(recipe, run.RunId, [.. run.RootSteps.OrderBy(s => s.StartedAt).Select(StepTrace.From)]));
        }
        catch (AgentStepsException e)
        {
            // The runtime has logged the failure with its details. The client learns which step failed and why in general
            // terms, never the exception's message: it can carry the model's reply or the provider's error body.
            var step = runs.LastRun is { } run ? FailedStepOf(run) : null;
            return Results.Problem(
                title: "The model failed to produce a recipe.",
                detail: $"Step '{(step is null ? "unknown" : $"{step.Workflow}.{step.Name}")}' failed: {ReasonOf(e)}",
                statusCode: StatusCodes.Status502BadGateway);
        }
    }

    private static async Task StreamAsync(HttpContext context, AsyncRecipeWorkflow workflow, RecipeEventStreamer stream)
    {
        // POST with a JSON body, as POST /recipes: a cross-site page could make a browser send a GET (an EventSource, an
        // image) or a form post without a preflight, and spend tokens.
        var (query, problem) = IsJson(context.Request.ContentType)
            ? await ReadQueryAsync(context.Request, context.RequestAborted)
            : (null, NotJson());
        if (problem is not null)
        {
            await problem.ExecuteAsync(context);
            return;
        }

        await stream.StreamAsync(context, workflow, query!);
    }

    private static IResult NotJson() => Results.Problem(
        title: "The request body must be JSON.",
        detail: "Send the body with 'Content-Type: application/json', such as {\"query\": \"chicken parmesan\"}.",
        statusCode: StatusCodes.Status415UnsupportedMediaType);

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type) &&
        type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) &&
        (!type.Charset.HasValue || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static async Task<(string? Query, IResult? Problem)> ReadQueryAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, BadRequest($"The request body is larger than {MaxBodyBytes} bytes."));
        }

        using var body = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                return (null, BadRequest($"The request body is larger than {MaxBodyBytes} bytes."));
            }

            body.Write(buffer, 0, read);
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String)
            {
                return (null, BadRequest("The body must be a JSON object with a string property 'query', such as {\"query\": \"chicken parmesan\"}."));
            }

            var text = query.GetString()!.Trim();
            return text.Length == 0 ? (null, BadRequest("The 'query' must not be empty.")) : (text, null);
        }
        catch (JsonException e)
        {
            return (null, BadRequest($"The body is not valid JSON: {e.Message}"));
        }
        catch (InvalidOperationException)
        {
            // GetString throws this for a string that is not text: a lone surrogate escape such as "\ud800", or bytes that are
            // not UTF-8. It is the client's mistake, not a server error.
            return (null, BadRequest("The 'query' is not valid text: it holds an unpaired surrogate escape (such as \\ud800) or bytes that are not UTF-8."));
        }
    }

    private static IResult BadRequest(string detail) =>
        Results.Problem(title: "The request is not valid.", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>The innermost failed step: the one whose failure the others only passed on.</summary>
    private static ExecutedStep? FailedStepOf(Runtime run) =>
        run.ExecutedSteps.FirstOrDefault(s => !s.Succeeded && s.Children.All(c => c.Succeeded));

    private static string ReasonOf(AgentStepsException exception) => exception switch
    {
        StepModelException => "the model provider did not answer.",
        StepOutputException e => $"the model's reply was still not valid after {e.Attempts} attempts.",
        StepRefusedException => "the model refused to answer.",
        StepOutputTruncatedException => "the model's reply was cut off at its output token limit.",
        MaxLoopsExceededException e => $"it ran {e.MaxLoops} times without producing a valid recipe.",
        _ => "see the server's log.",
    };
}
