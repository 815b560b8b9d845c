using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests;

/// <summary>
/// Drives the library through the real OpenAI client against a real HTTP server on 127.0.0.1, configured the way a user
/// configures it: through OPENAI_BASE_URL and OPENAI_API_KEY.
/// </summary>
[NonParallelizable]
public class OpenAIWireTests
{
    private const string ApiKey = "sk-test-secret-0123456789";

    public record Recipe(string Description, List<string> Ingredients);

    public abstract class Kitchen
    {
        [Step(Model = "gpt-4o-mini", Temperature = 0.75)]
        [Description("You are an inventive chef.")]
        public abstract Recipe Draft(string query);

        [Step(Model = "gpt-4o-mini")]
        [Description("You are an inventive chef.")]
        public abstract Task<Recipe> DraftAsync(string query, CancellationToken cancellationToken);
    }

    private const string RecipeJson = """{"Description":"Pasta","Ingredients":["noodles"]}""";

    private OpenAIWireServer _server = null!;
    private readonly Dictionary<string, string?> _saved = [];

    [SetUp]
    public async Task StartServer()
    {
        _server = await OpenAIWireServer.StartAsync();
        foreach (var name in new[] { RuntimeOptions.ApiKeyVariable, RuntimeOptions.BaseUrlVariable, RuntimeOptions.ModelOverrideVariable })
        {
            _saved[name] = Environment.GetEnvironmentVariable(name);
        }

        Environment.SetEnvironmentVariable(RuntimeOptions.ApiKeyVariable, ApiKey);
        Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, _server.BaseUrl);
        Environment.SetEnvironmentVariable(RuntimeOptions.ModelOverrideVariable, null);
    }

    [TearDown]
    public async Task StopServer()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        await _server.DisposeAsync();
    }

    [Test]
    public void Request_OnTheWire_CarriesModelTemperatureMessagesAndStrictSchema()
    {
        _server.ReplyContent(RecipeJson);
        using var runtime = new Runtime();

        var recipe = Steps.Create<Kitchen>().Draft("chicken parmesan");

        Assert.That(recipe.Description, Is.EqualTo("Pasta"));
        var request = _server.Requests.Single();
        Assert.That(request.Path, Is.EqualTo("/v1/chat/completions"));
        Assert.That(request.Authorization, Is.EqualTo("Bearer " + ApiKey));
        var body = request.Body;
        Assert.That((string?)body["model"], Is.EqualTo("gpt-4o-mini"));
        Assert.That((double?)body["temperature"], Is.EqualTo(0.75).Within(1e-6));
        Assert.That(body["messages"]!.Select(m => ((string?)m["role"], (string?)m["content"])), Is.EqualTo(new[]
        {
            ("system", "You are an inventive chef."),
            ("user", "chicken parmesan"),
        }));
        var format = body["response_format"]!;
        Assert.That((string?)format["type"], Is.EqualTo("json_schema"));
        Assert.That((string?)format["json_schema"]!["name"], Is.EqualTo("Recipe"));
        Assert.That((bool?)format["json_schema"]!["strict"], Is.True);
        var schema = (JObject)format["json_schema"]!["schema"]!;
        Assert.That((bool?)schema["additionalProperties"], Is.False);
        Assert.That(schema["required"]!.Select(t => (string?)t), Is.EqualTo(new[] { "Description", "Ingredients" }));

        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Usage!.InputTokenCount, Is.EqualTo(11));
        Assert.That(step.Usage.OutputTokenCount, Is.EqualTo(7));
    }

    [Test]
    public void Request_NoTemperatureOnTheStep_SendsNone()
    {
        _server.ReplyContent(RecipeJson);
        using var runtime = new Runtime();

        Steps.Create<Kitchen>().DraftAsync("x", CancellationToken.None).GetAwaiter().GetResult();

        Assert.That(_server.Requests.Single().Body["temperature"], Is.Null);
    }

    [Test]
    public void ModelOverrideVariable_ReplacesTheStepsModelOnTheWire()
    {
        Environment.SetEnvironmentVariable(RuntimeOptions.ModelOverrideVariable, "llama3.2");
        _server.ReplyContent(RecipeJson);
        using var runtime = new Runtime();

        Steps.Create<Kitchen>().Draft("x");

        Assert.That((string?)_server.Requests.Single().Body["model"], Is.EqualTo("llama3.2"));
        Assert.That(runtime.ExecutedSteps.Single().Model, Is.EqualTo("llama3.2"));
    }

    [Test]
    public void BaseUrlAlone_IsEnoughForAKeylessServer()
    {
        Environment.SetEnvironmentVariable(RuntimeOptions.ApiKeyVariable, null);
        _server.ReplyContent(RecipeJson);
        using var runtime = new Runtime();

        Assert.That(Steps.Create<Kitchen>().Draft("x").Description, Is.EqualTo("Pasta"));
    }

    [Test]
    public void MalformedJson_IsSentBackAndTheRetrySucceeds()
    {
        _server.ReplyContent("{\"Description\": \"Pas").ReplyContent(RecipeJson);
        using var runtime = new Runtime();

        Assert.That(Steps.Create<Kitchen>().Draft("x").Description, Is.EqualTo("Pasta"));

        var retry = _server.Requests[1].Body["messages"]!;
        Assert.That(retry.Select(m => (string?)m["role"]), Is.EqualTo(new[] { "system", "user", "assistant", "user" }));
        Assert.That((string?)retry[2]!["content"], Is.EqualTo("{\"Description\": \"Pas"));
        Assert.That((string?)retry[3]!["content"], Does.Contain("not valid JSON"));
    }

    [Test]
    public void JsonBreakingTheSchema_EveryTime_ThrowsStepOutputException()
    {
        _server.ReplyContent("""{"Description":1}""").ReplyContent("""{"Description":2}""").ReplyContent("""{"Description":3}""");
        using var runtime = new Runtime();

        var e = Assert.Throws<StepOutputException>(() => Steps.Create<Kitchen>().Draft("x"));

        Assert.That(e!.RawReply, Is.EqualTo("""{"Description":3}"""));
        Assert.That(e.Errors, Has.Some.Contains("Ingredients"));
        Assert.That(_server.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public void Refusal_ThrowsStepRefusedExceptionWithTheModelsWords()
    {
        _server.ReplyContent(null, refusal: "I can't help with that.");
        using var runtime = new Runtime();

        var e = Assert.Throws<StepRefusedException>(() => Steps.Create<Kitchen>().Draft("x"));

        Assert.That(e!.Refusal, Is.EqualTo("I can't help with that."));
        Assert.That(_server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void FinishReasonLength_ThrowsStepOutputTruncatedException()
    {
        _server.ReplyContent("{\"Description\":\"Pa", finishReason: "length");
        using var runtime = new Runtime();

        var e = Assert.Throws<StepOutputTruncatedException>(() => Steps.Create<Kitchen>().Draft("x"));

        Assert.That(e!.RawReply, Is.EqualTo("{\"Description\":\"Pa"));
        Assert.That(_server.Requests, Has.Count.EqualTo(1));
    }

    [TestCase(500, "The server had an error")]
    [TestCase(429, "Rate limit reached")]
    public void ServerErrors_AreRetriedByTheClientThenReportedClearly(int status, string message)
    {
        _server.ReplyStatus(status, message, times: 10);
        var log = new List<string>();
        using var runtime = new Runtime(WithLog(RuntimeOptions.FromEnvironment(), log));

        var e = Assert.Throws<StepModelException>(() => Steps.Create<Kitchen>().Draft("x"));

        Assert.That(_server.Requests, Has.Count.EqualTo(4), "the OpenAI client's default policy: 1 call + 3 retries");
        Assert.That(runtime.ExecutedSteps.Single().ModelCalls, Is.EqualTo(4), "every request counts, the failed ones too");
        Assert.That(log.Count(l => l.Contains("the client retried after HTTP " + status, StringComparison.Ordinal)), Is.EqualTo(3));
        Assert.That(e!.StepName, Is.EqualTo("Kitchen.Draft"));
        Assert.That(e.Message, Does.Contain(status.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Contain(message));
        Assert.That(e.ToString(), Does.Not.Contain(ApiKey), "the API key never reaches exceptions");
        Assert.That(string.Join("\n", log), Does.Not.Contain(ApiKey), "the API key never reaches logs");
        Assert.That(runtime.ToJson(), Does.Not.Contain(ApiKey), "the API key never reaches the trace");
    }

    [Test]
    public void NewRuntime_FromTheEnvironment_SharesOneClientAcrossRuns()
    {
        RuntimeConfiguration first, second;
        using (var runtime = new Runtime())
        {
            first = runtime.Configuration;
        }

        using (var runtime = new Runtime())
        {
            second = runtime.Configuration;
        }

        Assert.That(second, Is.SameAs(first));
        Environment.SetEnvironmentVariable(RuntimeOptions.ModelOverrideVariable, "gpt-4.1-nano");
        using (var runtime = new Runtime())
        {
            Assert.That(runtime.Configuration, Is.Not.SameAs(first), "a changed variable builds a new configuration");
        }
    }

    [Test]
    public void RateLimited_ThenAnswered_CountsEveryRequestAndLogsTheRetry()
    {
        _server.ReplyStatus(429, "Rate limit reached", times: 3).ReplyContent(RecipeJson);
        var log = new List<string>();
        using var runtime = new Runtime(WithLog(RuntimeOptions.FromEnvironment(), log));

        Steps.Create<Kitchen>().Draft("x");

        Assert.That(_server.Requests, Has.Count.EqualTo(4));
        Assert.That(runtime.ExecutedSteps.Single().ModelCalls, Is.EqualTo(4));
        Assert.That(log, Has.Some.Contain("Kitchen.Draft -> gpt-4o-mini: the client retried after HTTP 429 (request 2)"));
    }

    [Test]
    public void ServerThatNeverAnswers_IsAbandonedWhenTheStepsTokenIsCancelled()
    {
        _server.ReplyNever();
        using var runtime = new Runtime();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        Assert.CatchAsync<OperationCanceledException>(() => Steps.Create<Kitchen>().DraftAsync("x", timeout.Token));

        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Logs_CarryPromptsAndRepliesButNeverTheKey()
    {
        _server.ReplyContent(RecipeJson);
        var log = new List<string>();
        using var runtime = new Runtime(WithLog(RuntimeOptions.FromEnvironment(), log));

        Steps.Create<Kitchen>().Draft("soup");

        Assert.That(log, Has.Count.EqualTo(2));
        Assert.That(log[1], Does.Contain(RecipeJson));
        Assert.That(string.Join("\n", log), Does.Not.Contain(ApiKey));
    }

    [Test]
    public void Http200WithAnErrorBody_ThrowsStepModelExceptionWithTheProvidersMessage()
    {
        _server.Reply(async context =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"error":{"message":"model 'gpt-4o-mini' not found, try pulling it first","type":"api_error"}}""");
        });
        using var runtime = new Runtime();

        var e = Assert.Throws<StepModelException>(() => Steps.Create<Kitchen>().Draft("x"));

        Assert.That(e!.Message, Does.Contain("model 'gpt-4o-mini' not found, try pulling it first").And.Contain("api_error"));
        Assert.That(e.ToString(), Does.Not.Contain(nameof(ArgumentOutOfRangeException)));
        Assert.That(_server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void ErrorBodyEchoingTheAuthorizationHeader_IsRedactedEverywhere()
    {
        _server.ReplyStatus(401, "Invalid credentials. Received header Authorization: Bearer " + ApiKey);
        var log = new List<string>();
        using var runtime = new Runtime(WithLog(RuntimeOptions.FromEnvironment(), log));

        var e = Assert.Throws<StepModelException>(() => Steps.Create<Kitchen>().Draft("x"));

        Assert.That(e!.Message, Does.Contain("Invalid credentials").And.Not.Contain(ApiKey));
        Assert.That(e.ToString(), Does.Not.Contain(ApiKey), "loggers and spans print the whole chain");
        Assert.That(runtime.ToJson(), Does.Not.Contain(ApiKey), "the trace");
    }

    [TestCase("https//user:sk-secret-0123456789@example.com/v1")]
    [TestCase("ftp://example.com/v1?api-key=sk-secret-0123456789")]
    [TestCase("http:/admin:sk-secret-hunter2@example.com/v1")]
    [TestCase("ftp://example.com/v1?sig=sk-secret-opaque")]
    public void MalformedBaseUrlWithAKey_IsReportedWithoutTheKey(string baseUrl)
    {
        var e = Assert.Throws<InvalidOperationException>(() => RuntimeOptions.CreateOpenAIClient(null, baseUrl));

        Assert.That(e!.Message, Does.Contain(RuntimeOptions.BaseUrlVariable).And.Not.Contain("sk-secret"));
    }

    private static RuntimeOptions WithLog(RuntimeOptions options, List<string> log)
    {
        options.Log = log.Add;
        return options;
    }
}
