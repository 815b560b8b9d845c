using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AgentSteps.Examples.Recipes;

namespace AgentSteps.Tests;

public class RecipeStreamTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static HttpRequestMessage StreamRequest(string query) =>
        new(HttpMethod.Post, "/recipes/stream") { Content = Json(JsonSerializer.Serialize(new { query })) };

    /// <summary>Reads server-sent events, one at a time, as they arrive: (name, data) per blank-line-ended block.</summary>
    private static async IAsyncEnumerable<(string Name, string Data)> ReadEventsAsync(
        Stream body, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(body);
        string? name = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null)
                {
                    yield return (name, data.ToString());
                }

                (name, data) = (null, new StringBuilder());
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line["data: ".Length..]);
            }
            else
            {
                Assert.Fail($"A line that is neither an event name, a data field nor blank: '{line}'.");
            }
        }
    }

    private static string NameOf(JsonElement data) => data.GetProperty("name").GetString()!;

    [Test]
    public async Task PostRecipesStream_SampleModel_StreamsTheStepsInOrderThenTheResultThenRunCompleted()
    {
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();

        using var response = await http.SendAsync(StreamRequest("chicken parmesan"), HttpCompletionOption.ResponseHeadersRead);
        var events = new List<(string Name, JsonElement Data)>();
        await foreach (var (name, data) in ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            events.Add((name, JsonDocument.Parse(data).RootElement)); // every data field is one JSON document
        }

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        Assert.That(events.Select(e => e.Name), Has.All.AnyOf("step-started", "step-completed", "model-text", "tool-call", "result", "run-completed"));
        Assert.That(events.Where(e => e.Name == "step-started").Select(e => NameOf(e.Data)), Is.EqualTo(new[]
        {
            "CreateRecipeAsync", "DraftRecipeAsync", "ImproveRecipeAsync", "ValidateRecipeAsync",
            "CreateRecipeAsync", "DraftRecipeAsync", "ImproveRecipeAsync", "ValidateRecipeAsync",
        }));
        Assert.That(events.Where(e => e.Name == "step-completed").Select(e => NameOf(e.Data)), Is.EqualTo(new[]
        {
            "DraftRecipeAsync", "ImproveRecipeAsync", "ValidateRecipeAsync",
            "DraftRecipeAsync", "ImproveRecipeAsync", "ValidateRecipeAsync", "CreateRecipeAsync",
            "CreateRecipeAsync",
        }), "the loop back ends before the first attempt does");
        Assert.That(events.Where(e => e.Name == "step-completed").Select(e => e.Data.GetProperty("succeeded").GetBoolean()), Has.All.True);
        Assert.That(events.Where(e => e.Name == "step-started").Select(e => e.Data.GetProperty("key").GetString()),
            Has.Member("CreateRecipeAsync:1/CreateRecipeAsync:1/DraftRecipeAsync:1"), "keys name each call");
        foreach (var (name, data) in events.Where(e => e.Name is "step-started" or "step-completed"))
        {
            var started = events.FindIndex(e => e.Name == "step-started" && e.Data.GetProperty("key").GetString() == data.GetProperty("key").GetString());
            var completed = events.FindIndex(e => e.Name == "step-completed" && e.Data.GetProperty("key").GetString() == data.GetProperty("key").GetString());
            Assert.That(started, Is.LessThan(completed), $"{name} {data}: a step starts before it completes");
        }

        Assert.That(events.Select(e => e.Name).TakeLast(2), Is.EqualTo(new[] { "result", "run-completed" }), "the result, then the run's end, last");
        Assert.That(events[^2].Data.GetProperty("ingredients").GetArrayLength(), Is.EqualTo(2), "the result is the recipe, in camelCase");
        Assert.That(events.Count(e => e.Name is "result" or "run-completed"), Is.EqualTo(2), "once each");
    }

    [Test]
    public async Task PostRecipesStream_ModelTextEvents_CarryTheDeltaAndAPartialJsonThatParses()
    {
        // Model text flows once LLM steps stream while watched; until then there may be none, and this checks those there are.
        await using var factory = new RecipeApiFactory(new SampleChatClient());
        using var http = factory.CreateClient();

        using var response = await http.SendAsync(StreamRequest("soup"), HttpCompletionOption.ResponseHeadersRead);
        var texts = new List<JsonElement>();
        await foreach (var (name, data) in ReadEventsAsync(await response.Content.ReadAsStreamAsync()))
        {
            if (name == "model-text")
            {
                texts.Add(JsonDocument.Parse(data).RootElement);
            }
        }

        Assert.That(texts.Select(t => t.GetProperty("delta").ValueKind), Has.All.EqualTo(JsonValueKind.String));
        foreach (var partial in texts.Select(t => t.GetProperty("partialJson")).Where(p => p.ValueKind == JsonValueKind.String))
        {
            Assert.DoesNotThrow(() => JsonDocument.Parse(partial.GetString()!), partial.GetString()!);
        }
    }

    [Test]
    public async Task PostRecipesStream_ProviderFails_StreamsAnErrorWithoutProviderTextThenRunCompleted()
    {
        const string Secret = "SECRET-MODEL-TEXT-51c2";
        var client = new ScriptedChatClient().Enqueue(_ => throw new HttpRequestException($"The model server is down: {Secret}"));
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();

        using var response = await http.SendAsync(StreamRequest("soup"), HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();
        var events = new List<(string Name, string Data)>();
        await foreach (var e in ReadEventsAsync(new MemoryStream(Encoding.UTF8.GetBytes(body))))
        {
            events.Add(e);
        }

        Assert.That(events.Select(e => e.Name).TakeLast(2), Is.EqualTo(new[] { "error", "run-completed" }));
        Assert.That(JsonDocument.Parse(events[^2].Data).RootElement.GetProperty("message").GetString(),
            Does.StartWith("Step 'AsyncRecipeWorkflow.DraftRecipeAsync' failed"));
        Assert.That(events.Where(e => e.Name == "step-completed").Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("succeeded").GetBoolean()),
            Has.All.False, "every step failed");
        Assert.That(body, Does.Not.Contain(Secret), "no provider text");
    }

    [Test]
    public async Task PostRecipesStream_NotJson_Gets415AndCallsNoModel()
    {
        var client = new ScriptedChatClient();
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes/stream", new StringContent("""{"query": "soup"}""", Encoding.UTF8, "text/plain"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(client.Requests, Is.Empty, "no tokens spent");
    }

    [Test]
    public async Task PostRecipesStream_EmptyQuery_Gets400ProblemDetails()
    {
        var client = new ScriptedChatClient();
        await using var factory = new RecipeApiFactory(client);
        using var http = factory.CreateClient();

        using var response = await http.PostAsync("/recipes/stream", Json("""{"query": " "}"""));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(client.Requests, Is.Empty);
    }

    [Test]
    public async Task PostRecipesStream_ClientGoesAway_CancelsTheModelCall()
    {
        var model = new HangingChatClient();
        await using var factory = new RecipeApiFactory(model);
        using var http = factory.CreateClient();

        var response = await http.SendAsync(StreamRequest("soup"), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        await foreach (var (name, data) in ReadEventsAsync(stream))
        {
            if (name == "step-started" && data.Contains("\"DraftRecipeAsync\"", StringComparison.Ordinal))
            {
                break;
            }
        }

        await model.Called.WaitAsync(TimeSpan.FromMinutes(1));
        response.Dispose(); // the client goes away while the model is still answering

        // The time limit only turns a regression into a failure instead of a hung test run.
        await model.Cancelled.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.That(model.Cancelled.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task GetRoot_ServesThePageThatStreamsARecipe()
    {
        await using var factory = new RecipeApiFactory(new ScriptedChatClient());
        using var http = factory.CreateClient();

        using var response = await http.GetAsync("/");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"));
        var page = await response.Content.ReadAsStringAsync();
        Assert.That(page, Does.Contain("recipes/stream").And.Contain("partialJson").And.Contain("step-started"));
    }

    [Test]
    [NonParallelizable]
    public void RecipeCommand_OutputRedirected_WritesPlainProgressLinesInOrderBeforeTheRecipe()
    {
        var saved = (Environment.GetEnvironmentVariable(RuntimeOptions.ApiKeyVariable), Environment.GetEnvironmentVariable(RuntimeOptions.BaseUrlVariable));
        Environment.SetEnvironmentVariable(RuntimeOptions.ApiKeyVariable, null);
        Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, null);
        try
        {
            using var output = new StringWriter();
            int exitCode = RecipeCommand.Run("chicken parmesan", output);

            var lines = output.ToString().ReplaceLineEndings("\n").Split('\n');
            var progress = lines.Where(l => l.StartsWith("→ ", StringComparison.Ordinal) || l.StartsWith("✓ ", StringComparison.Ordinal)).ToList();
            Assert.That(exitCode, Is.Zero);
            Assert.That(progress.Select(l => l.Split(' ')[0] + " " + l.Split(' ')[1]), Is.EqualTo(new[]
            {
                "→ CreateRecipe", "→ DraftRecipe", "✓ DraftRecipe", "→ ImproveRecipe", "✓ ImproveRecipe", "→ ValidateRecipe", "✓ ValidateRecipe",
                "→ CreateRecipe", "→ DraftRecipe", "✓ DraftRecipe", "→ ImproveRecipe", "✓ ImproveRecipe", "→ ValidateRecipe", "✓ ValidateRecipe",
                "✓ CreateRecipe", "✓ CreateRecipe",
            }));
            Assert.That(progress, Has.All.Matches<string>(l => l.EndsWith(" started", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(l, @"^✓ \w+ \d+\.\d s")));
            Assert.That(Array.IndexOf(lines, progress[^1]), Is.LessThan(Array.IndexOf(lines, "Ingredients:")), "the progress is done before the recipe is printed");
        }
        finally
        {
            Environment.SetEnvironmentVariable(RuntimeOptions.ApiKeyVariable, saved.Item1);
            Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, saved.Item2);
        }
    }

    /// <summary>A model that never answers: it waits until its call is cancelled, and says when it was called and cancelled.</summary>
    private sealed class HangingChatClient : IChatClient
    {
        private readonly TaskCompletionSource _called = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Called => _called.Task;

        public Task Cancelled => _cancelled.Task;

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            await WaitForCancellationAsync(cancellationToken);
            throw new InvalidOperationException("Unreachable: the wait ends only by cancellation.");
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await WaitForCancellationAsync(cancellationToken);
            yield break;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        private async Task WaitForCancellationAsync(CancellationToken cancellationToken)
        {
            _called.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _cancelled.TrySetResult();
                throw;
            }
        }
    }
}
