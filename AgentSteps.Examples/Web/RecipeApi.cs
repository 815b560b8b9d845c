using System.Text.Json;
using AgentSteps.Examples.Recipes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSteps.Examples.Web;

/// <summary>
/// A small ASP.NET Core app around the recipe workflow: <c>POST /recipes {"query": "..."}</c> returns the recipe and its
/// step tree; <c>GET /recipes/graph</c> returns the workflow's DOT. The workflow comes from the container by constructor
/// injection and opens its own run per request.
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
        services.AddAgentSteps().AddWorkflow<RecipeWorkflow>(ServiceLifetime.Scoped);
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
        endpoints.MapGet("/recipes/graph", () => Results.Text(
            StepGraph.For<RecipeWorkflow>(nameof(RecipeWorkflow.CreateRecipe)).ToDot(), "text/vnd.graphviz"));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, RecipeWorkflow workflow, IRunAccessor runs)
    {
        var (query, problem) = await ReadQueryAsync(context.Request, context.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        Recipe recipe;
        try
        {
            recipe = workflow.CreateRecipe(query!);
        }
        catch (AgentStepsException e)
        {
            return Results.Problem(
                title: "The model failed to produce a recipe.",
                detail: $"Step '{StepNameOf(e)}' failed: {e.Message}",
                statusCode: StatusCodes.Status502BadGateway);
        }

        using var trace = JsonDocument.Parse(runs.LastRun!.ToJson(indented: false));
        return Results.Ok(new RecipeResponse(recipe, trace.RootElement.Clone()));
    }

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
    }

    private static IResult BadRequest(string detail) =>
        Results.Problem(title: "The request is not valid.", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    private static string StepNameOf(AgentStepsException exception) => exception switch
    {
        StepModelException e => e.StepName,
        StepOutputException e => e.StepName,
        StepRefusedException e => e.StepName,
        StepOutputTruncatedException e => e.StepName,
        MaxLoopsExceededException e => e.StepName,
        _ => "unknown",
    };
}
