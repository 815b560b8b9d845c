using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentSteps.Examples.Web;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace AgentSteps.Tests;

public class RecipeApiTests
{
    /// <summary>Hosts the example's web app in memory, with the model client the test chooses.</summary>
    private sealed class RecipeApiFactory(IChatClient client) : WebApplicationFactory<RecipeApi>
    {
        protected override IHostBuilder CreateHostBuilder() =>
            Host.CreateDefaultBuilder()
                .ConfigureWebHostDefaults(web => web
                    .ConfigureServices(services =>
                    {
                        services.AddChatClient(client);
                        RecipeApi.ConfigureServices(services);
                    })
                    .Configure(RecipeApi.Configure));
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Test]
    public async Task PostRecipes_ReturnsTheRecipeAndItsStepTree()
    {
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes", Json("""{"query": "chicken parmesan"}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await ReadJsonAsync(response);
        Assert.That(body.GetProperty("recipe").GetProperty("ingredients").GetArrayLength(), Is.EqualTo(2));
        var root = body.GetProperty("steps").GetProperty("steps")[0];
        Assert.That(root.GetProperty("name").GetString(), Is.EqualTo("CreateRecipe"));
        Assert.That(root.GetProperty("arguments").GetProperty("query").GetString(), Is.EqualTo("chicken parmesan"));
        // The sample model's first validation says "invalid": one loop back.
        Assert.That(root.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()),
            Is.EqualTo(new[] { "DraftRecipe", "ImproveRecipe", "ValidateRecipe", "CreateRecipe" }));
    }

    [Test]
    public async Task GetGraph_ReturnsTheDot()
    {
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();

        using var response = await http.GetAsync("/recipes/graph");

        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/vnd.graphviz"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("digraph \"RecipeWorkflow.CreateRecipe\""));
    }

    [TestCase("{}", "string property 'query'")]
    [TestCase("""{"query": ""}""", "must not be empty")]
    [TestCase("""{"query": "   "}""", "must not be empty")]
    [TestCase("""{"query": 42}""", "string property 'query'")]
    [TestCase("""["query"]""", "string property 'query'")]
    [TestCase("""{"query": "soup" """, "not valid JSON")]
    [TestCase("", "not valid JSON")]
    public async Task PostRecipes_BadRequest_Gets400ProblemDetails(string body, string expected)
    {
        var client = new ScriptedChatClient();
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes", Json(body));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await ReadJsonAsync(response);
        Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(400));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain(expected));
        Assert.That(client.Requests, Is.Empty, "no model was called");
    }

    [Test]
    public async Task PostRecipes_OversizedBody_Gets400ProblemDetails()
    {
        await using var factory = new RecipeApiFactory(new ScriptedChatClient());
        using var http = factory.CreateClient();
        var huge = "{\"query\": \"" + new string('x', RecipeApi.MaxBodyBytes) + "\"}";

        using var response = await http.PostAsync("/recipes", Json(huge));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await ReadJsonAsync(response)).GetProperty("detail").GetString(), Does.Contain("larger than 16384 bytes"));
    }

    [Test]
    public async Task PostRecipes_ModelFails_Gets502NamingTheStepWithoutStackTrace()
    {
        var client = new ScriptedChatClient().Enqueue(_ => throw new HttpRequestException("The model server is down."));
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes", Json("""{"query": "soup"}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        var text = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("Step 'RecipeWorkflow.DraftRecipe' failed").And.Contain("The model server is down."));
        Assert.That(text, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public async Task PostRecipes_FiftyConcurrentRequests_EachGetsItsOwnRun()
    {
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var response = await http.PostAsync("/recipes", Json($$"""{"query": "dish {{i}}"}"""));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            return (i, Body: await ReadJsonAsync(response));
        }));

        var runIds = new HashSet<string>();
        foreach (var (i, body) in responses)
        {
            var steps = body.GetProperty("steps");
            Assert.That(runIds.Add(steps.GetProperty("runId").GetString()!), Is.True, "one run per request");
            var root = steps.GetProperty("steps");
            Assert.That(root.GetArrayLength(), Is.EqualTo(1));
            Assert.That(root[0].GetProperty("arguments").GetProperty("query").GetString(), Is.EqualTo($"dish {i}"));
            // Each run loops back exactly once: the sample model counts calls per run, so concurrent runs do not disturb each other.
            Assert.That(root[0].GetProperty("children").GetArrayLength(), Is.EqualTo(4), $"request {i} saw another request's steps");
            Assert.That(root[0].GetProperty("children")[3].GetProperty("children").GetArrayLength(), Is.EqualTo(3), $"request {i}'s loop back");
            Assert.That(root[0].GetProperty("children")[0].GetProperty("arguments").GetProperty("query").GetString(), Is.EqualTo($"dish {i}"));
        }
    }
}
