using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSteps.Examples.Web;

namespace AgentSteps.Tests;

public class RecipeApiTests
{
    private const string ModelSecret = "SECRET-MODEL-TEXT-7f3a";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static IEnumerable<string> PropertyNames(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => PropertyNames(p.Value).Prepend(p.Name)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(PropertyNames),
        _ => [],
    };

    [Test]
    public async Task PostRecipes_ReturnsTheRecipeAndItsStepTree()
    {
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes", Json("""{"query": "chicken parmesan"}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await ReadJsonAsync(response);
        Assert.That(body.GetProperty("recipe").GetProperty("ingredients").GetArrayLength(), Is.EqualTo(2));
        Assert.That(body.GetProperty("runId").GetString(), Is.Not.Empty);
        var root = body.GetProperty("steps")[0];
        Assert.That(root.GetProperty("name").GetString(), Is.EqualTo("CreateRecipeAsync"));
        Assert.That(root.GetProperty("arguments").GetProperty("query").GetString(), Is.EqualTo("chicken parmesan"));
        Assert.That(root.GetProperty("result").GetProperty("ingredients").GetArrayLength(), Is.EqualTo(2));
        // The sample model's first validation says "invalid": one loop back.
        Assert.That(root.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()),
            Is.EqualTo(new[] { "DraftRecipeAsync", "ImproveRecipeAsync", "ValidateRecipeAsync", "CreateRecipeAsync" }));
    }

    [Test]
    public async Task PostRecipes_Success_WholeBodyIsCamelCase()
    {
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes", Json("""{"query": "chicken parmesan"}"""));

        var names = PropertyNames(await ReadJsonAsync(response)).Distinct().ToList();
        Assert.That(names, Has.Member("isValid").And.Member("durationMs").And.Member("ingredients"), "the step results are in the body");
        Assert.That(names, Has.All.Matches<string>(n => char.IsLower(n[0])), "camelCase throughout, step arguments and results included");
    }

    [Test]
    public async Task GetGraph_ReturnsTheDot()
    {
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();

        using var response = await http.GetAsync("/recipes/graph");

        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/vnd.graphviz"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("digraph \"AsyncRecipeWorkflow.CreateRecipeAsync\""));
    }

    [TestCase("{}", "string property 'query'")]
    [TestCase("""{"query": ""}""", "must not be empty")]
    [TestCase("""{"query": "   "}""", "must not be empty")]
    [TestCase("""{"query": 42}""", "string property 'query'")]
    [TestCase("""["query"]""", "string property 'query'")]
    [TestCase("""{"query": "soup" """, "not valid JSON")]
    [TestCase("", "not valid JSON")]
    [TestCase("""{"query": "\ud800"}""", "not valid text")]
    [TestCase("""{"query": "soup \udc00 and \ud800"}""", "not valid text")]
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
        Assert.That(factory.Logs.Entries.Where(e => e.Exception is not null).Select(e => e.Message), Is.Empty, "no exception was logged");
    }

    [Test]
    public async Task PostRecipes_InvalidUtf8InTheQuery_Gets400WithoutLoggingAnException()
    {
        var client = new ScriptedChatClient();
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();
        byte[] body = [.. """{"query": "soup """u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await http.PostAsync("/recipes", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await ReadJsonAsync(response)).GetProperty("status").GetInt32(), Is.EqualTo(400));
        Assert.That(client.Requests, Is.Empty, "no model was called");
        Assert.That(factory.Logs.Entries.Where(e => e.Exception is not null).Select(e => e.Message), Is.Empty, "no exception was logged");
    }

    [TestCase("text/plain")]
    [TestCase("application/x-www-form-urlencoded")]
    [TestCase("multipart/form-data; boundary=x")]
    [TestCase("application/json; charset=utf-16")]
    [TestCase("application/problem+json")]
    [TestCase(null)]
    public async Task PostRecipes_NotJsonContentType_Gets415ProblemDetails(string? contentType)
    {
        var client = new ScriptedChatClient();
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();
        using var content = new ByteArrayContent("""{"query": "soup"}"""u8.ToArray());
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);

        using var response = await http.PostAsync("/recipes", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await ReadJsonAsync(response)).GetProperty("detail").GetString(), Does.Contain("application/json"));
        Assert.That(client.Requests, Is.Empty, "no model was called");
    }

    [Test]
    public async Task PostRecipes_FormPost_Gets415AndCallsNoModel()
    {
        var client = new ScriptedChatClient();
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();
        using var form = new FormUrlEncodedContent([new("query", "soup")]);

        using var response = await http.PostAsync("/recipes", form);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(client.Requests, Is.Empty, "no tokens spent");
    }

    [TestCase("application/json; charset=utf-8")]
    [TestCase("Application/JSON; charset=UTF-8")]
    [TestCase("application/json")]
    public async Task PostRecipes_JsonContentType_IsAccepted(string contentType)
    {
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();
        using var content = new ByteArrayContent("""{"query": "soup"}"""u8.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        using var response = await http.PostAsync("/recipes", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
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
    public async Task PostRecipes_ProviderFails_Gets502NamingTheStepOnceWithoutProviderText()
    {
        var client = new ScriptedChatClient().Enqueue(_ => throw new HttpRequestException($"The model server is down: {ModelSecret}"));
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes", Json("""{"query": "soup"}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        var text = await response.Content.ReadAsStringAsync();
        var detail = JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString();
        Assert.That(detail, Is.EqualTo("Step 'AsyncRecipeWorkflow.DraftRecipeAsync' failed: the model provider did not answer."));
        Assert.That(text, Does.Not.Contain(ModelSecret).And.Not.Contain("   at "), "no provider text, no stack trace");
        Assert.That(PropertyNames(JsonDocument.Parse(text).RootElement), Has.All.Matches<string>(n => char.IsLower(n[0])));
    }

    [Test]
    public async Task PostRecipes_InvalidModelReply_Gets502WithoutTheReplyText()
    {
        var client = new ScriptedChatClient($"{{\"Description\": \"{ModelSecret}\"}}", $"not json {ModelSecret}", $"still not {ModelSecret}");
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes", Json("""{"query": "soup"}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString(),
            Is.EqualTo("Step 'AsyncRecipeWorkflow.DraftRecipeAsync' failed: the model's reply was still not valid after 3 attempts."));
        Assert.That(text, Does.Not.Contain(ModelSecret));
    }

    [Test]
    public async Task PostRecipes_ValidationNeverPasses_Gets502NamingTheLoopingStep()
    {
        var client = new ScriptedChatClient();
        const string Recipe = """{"Description":"d","Ingredients":["i"],"Instructions":["s"],"Tips":["t"]}""";
        for (int i = 0; i < 3; i++)
        {
            client.Enqueue(Recipe).Enqueue(Recipe).Enqueue($$"""{"IsValid":false,"Reason":"{{ModelSecret}}"}""");
        }

        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes", Json("""{"query": "soup"}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString(),
            Is.EqualTo("Step 'AsyncRecipeWorkflow.CreateRecipeAsync' failed: it ran 3 times without producing a valid recipe."));
        Assert.That(text, Does.Not.Contain(ModelSecret));
    }

    [Test]
    public async Task PostRecipes_HundredConcurrentRequests_AreAllInTheModelAtOnceHoldingNoThread()
    {
        const int Requests = 100;
        var model = new GatedChatClient(new SampleChatClient(), Requests);
        await using var factory = new RecipeApiFactory(model);
        using var http = factory.CreateClient();

        // Each request's first model call waits until all 100 have arrived, so the requests can only finish if they run
        // concurrently. The time limit only turns a regression into a failure instead of a hung test run.
        var all = Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            using var response = await http.PostAsync("/recipes", Json($$"""{"query": "dish {{i}}"}"""));
            return (i, response.StatusCode, Body: await ReadJsonAsync(response));
        }));
        var responses = await all.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.That(responses.Select(r => r.StatusCode), Has.All.EqualTo(HttpStatusCode.OK));
        Assert.That(model.Arrived, Is.EqualTo(6 * Requests), "three model steps per request, twice: the sample model's first validation loops back");
        Assert.That(model.ThreadsWhenAllArrived, Is.LessThan(Requests), "requests waiting for the model hold no thread each");
        var runIds = new HashSet<string>();
        foreach (var (i, _, body) in responses)
        {
            Assert.That(runIds.Add(body.GetProperty("runId").GetString()!), Is.True, "one run per request");
            var steps = body.GetProperty("steps");
            Assert.That(steps.GetArrayLength(), Is.EqualTo(1));
            Assert.That(steps[0].GetProperty("arguments").GetProperty("query").GetString(), Is.EqualTo($"dish {i}"));
            // Each run loops back exactly once: the sample model counts calls per run, so concurrent runs do not disturb each other.
            Assert.That(steps[0].GetProperty("children").GetArrayLength(), Is.EqualTo(4), $"request {i} saw another request's steps");
            Assert.That(steps[0].GetProperty("children")[3].GetProperty("children").GetArrayLength(), Is.EqualTo(3), $"request {i}'s loop back");
            Assert.That(steps[0].GetProperty("children")[0].GetProperty("arguments").GetProperty("query").GetString(), Is.EqualTo($"dish {i}"));
        }
    }
}
