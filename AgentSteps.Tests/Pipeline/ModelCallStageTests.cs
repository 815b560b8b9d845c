using System.ComponentModel.DataAnnotations;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests;

public class ModelCallStageTests
{
    public record Recipe(string Description, List<string> Ingredients);

    public record Verdict(bool IsValid, string? Reason = null);

    public enum Mood
    {
        Happy,
        Sad,
    }

    public class Rated
    {
        [System.ComponentModel.DataAnnotations.Range(1, 5)]
        public int Stars { get; set; }

        [System.ComponentModel.DataAnnotations.StringLength(5)]
        public string Comment { get; set; } = string.Empty;
    }

    public class Interval : IValidatableObject
    {
        public int Start { get; set; }

        public int End { get; set; }

        public IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(ValidationContext validationContext)
        {
            if (End < Start)
            {
                yield return new System.ComponentModel.DataAnnotations.ValidationResult("End must not be before Start.", [nameof(End)]);
            }
        }
    }

    public record Node(string Name, List<Node> Children);

    public abstract class Kitchen
    {
        [Step(Model = "gpt-4o-mini", Temperature = 0.75, MaxOutputTokens = 500)]
        [Description("You are an inventive chef.")]
        public abstract Recipe Draft(string query);

        [Step(Model = "gpt-4o-mini")]
        [Description("Judge the recipe.")]
        public abstract Verdict Judge(Recipe recipe);

        [Step(Model = "gpt-4o-mini")]
        [Description("Compare.")]
        public abstract Verdict Compare(Recipe first, Recipe second);

        [Step(Model = "gpt-4o-mini")]
        [Prompt("Create a recipe for {query} serving {people} people ({{literal braces}})")]
        public abstract Recipe Templated(string query, int people);

        [Step(Model = "gpt-4o-mini")]
        public abstract int Count(string text);

        [Step(Model = "gpt-4o-mini")]
        public abstract Mood Feel(string text);

        [Step(Model = "gpt-4o-mini")]
        public abstract List<string> Words(string text);

        [Step(Model = "gpt-4o-mini")]
        public abstract string Poem(string topic);

        [Step(Model = "gpt-4o-mini")]
        public abstract Task<Recipe> DraftAsync(string query, CancellationToken cancellationToken);

        [Step(Model = "gpt-4o-mini")]
        public abstract ValueTask<Verdict> JudgeAsync(Recipe recipe);

        [Step(Model = "gpt-4o-mini", OutputRetries = 0)]
        public abstract Verdict JudgeOnce(Recipe recipe);

        [Step(Model = "gpt-4o-mini")]
        public abstract Rated Rate(string text);

        [Step(Model = "gpt-4o-mini")]
        public abstract Interval Span(string text);

        [Step(Model = "gpt-4o-mini")]
        public abstract Node Tree(string text);

        /// <summary>You summarise <paramref name="text"/> in one line.</summary>
        /// <param name="text">The text.</param>
        /// <returns>The summary.</returns>
        [Step(Model = "gpt-4o-mini")]
        public abstract string Summarise(string text);

        [Step]
        public abstract string NoModel(string text);
    }

    private const string RecipeJson = """{"Description":"Pasta","Ingredients":["noodles","sauce"]}""";
    private static readonly Recipe Pasta = new("Pasta", ["noodles", "sauce"]);

    private static (Kitchen Workflow, ScriptedChatClient Client, Runtime Runtime) Arrange(params string[] replies)
    {
        var client = new ScriptedChatClient(replies);
        var runtime = new Runtime(client);
        return (Steps.Create<Kitchen>(), client, runtime);
    }

    [Test]
    public void LlmStep_SendsDescriptionAsSystemPromptAndStringArgumentAsIs()
    {
        var (workflow, client, runtime) = Arrange(RecipeJson);
        using (runtime)
        {
            var recipe = workflow.Draft("chicken parmesan");

            Assert.That(recipe.Description, Is.EqualTo("Pasta"));
            Assert.That(recipe.Ingredients, Is.EqualTo(Pasta.Ingredients));
            var request = client.Requests.Single();
            Assert.That(request.Messages.Select(m => m.Role), Is.EqualTo(new[] { ChatRole.System, ChatRole.User }));
            Assert.That(request.SystemPrompt, Is.EqualTo("You are an inventive chef."));
            Assert.That(request.LastMessage, Is.EqualTo("chicken parmesan"));
        }
    }

    [Test]
    public void LlmStep_SendsModelTemperatureAndTokenLimitInOptions()
    {
        var (workflow, client, runtime) = Arrange(RecipeJson, """{"IsValid":true,"Reason":null}""");
        using (runtime)
        {
            workflow.Draft("x");
            workflow.Judge(Pasta);

            var draft = client.Requests[0].Options!;
            Assert.That(draft.ModelId, Is.EqualTo("gpt-4o-mini"));
            Assert.That(draft.Temperature, Is.EqualTo(0.75f));
            Assert.That(draft.MaxOutputTokens, Is.EqualTo(500));
            var judge = client.Requests[1].Options!;
            Assert.That(judge.Temperature, Is.Null, "unset temperature leaves the provider's default");
            Assert.That(judge.MaxOutputTokens, Is.Null);
        }
    }

    [Test]
    public void LlmStep_SendsStrictJsonSchemaOfTheReturnType()
    {
        var (workflow, client, runtime) = Arrange("""{"IsValid":false,"Reason":"too hard"}""");
        using (runtime)
        {
            var verdict = workflow.Judge(Pasta);

            Assert.That(verdict, Is.EqualTo(new Verdict(false, "too hard")));
            var format = (ChatResponseFormatJson)client.Requests[0].Options!.ResponseFormat!;
            Assert.That(format.SchemaName, Is.EqualTo("Verdict"));
            var schema = JObject.Parse(format.Schema!.Value.GetRawText());
            Assert.That((string?)schema["type"], Is.EqualTo("object"));
            Assert.That((bool?)schema["additionalProperties"], Is.False);
            Assert.That(schema["required"]!.Select(t => (string?)t), Is.EquivalentTo(new[] { "IsValid", "Reason" }));
            Assert.That((string?)schema["properties"]!["IsValid"]!["type"], Is.EqualTo("boolean"));
            Assert.That(schema["properties"]!["Reason"]!["type"]!.Select(t => (string?)t), Is.EquivalentTo(new[] { "string", "null" }));
        }
    }

    [Test]
    public void LlmStep_SeveralArguments_SendsOneJsonObjectKeyedByParameterName()
    {
        var (workflow, client, runtime) = Arrange("""{"IsValid":true,"Reason":null}""");
        using (runtime)
        {
            workflow.Compare(Pasta, Pasta with { Description = "Pizza" });

            var prompt = JObject.Parse(client.Requests[0].LastMessage);
            Assert.That((string?)prompt["first"]!["Description"], Is.EqualTo("Pasta"));
            Assert.That((string?)prompt["second"]!["Description"], Is.EqualTo("Pizza"));
        }
    }

    [Test]
    public void LlmStep_ObjectArgument_SendsItAsJson()
    {
        var (workflow, client, runtime) = Arrange("""{"IsValid":true,"Reason":null}""");
        using (runtime)
        {
            workflow.Judge(Pasta);
            Assert.That(JToken.DeepEquals(JObject.Parse(client.Requests[0].LastMessage), JObject.Parse(RecipeJson)), Is.True);
        }
    }

    [Test]
    public void LlmStep_PromptTemplate_FillsPlaceholdersAndKeepsEscapedBraces()
    {
        var (workflow, client, runtime) = Arrange(RecipeJson);
        using (runtime)
        {
            workflow.Templated("soup", 4);
            Assert.That(client.Requests[0].LastMessage, Is.EqualTo("Create a recipe for soup serving 4 people ({literal braces})"));
            Assert.That(client.Requests[0].SystemPrompt, Is.Null);
        }
    }

    [Test]
    public void LlmStep_WithoutDescription_UsesXmlDocSummaryAsSystemPrompt()
    {
        var (workflow, client, runtime) = Arrange("One line.");
        using (runtime)
        {
            Assert.That(workflow.Summarise("long text"), Is.EqualTo("One line."));
            Assert.That(client.Requests[0].SystemPrompt, Is.EqualTo("You summarise text in one line."));
        }
    }

    [Test]
    public void LlmStep_PrimitiveEnumAndListResults_AreWrappedAndUnwrapped()
    {
        var (workflow, client, runtime) = Arrange("""{"value":42}""", """{"value":"Sad"}""", """{"value":["a","b"]}""");
        using (runtime)
        {
            Assert.That(workflow.Count("x"), Is.EqualTo(42));
            Assert.That(workflow.Feel("x"), Is.EqualTo(Mood.Sad));
            Assert.That(workflow.Words("x"), Is.EqualTo(new[] { "a", "b" }));

            var enumSchema = JObject.Parse(((ChatResponseFormatJson)client.Requests[1].Options!.ResponseFormat!).Schema!.Value.GetRawText());
            Assert.That(enumSchema["required"]!.Single().ToString(), Is.EqualTo("value"));
            var reference = (string)enumSchema["properties"]!["value"]!["$ref"]!;
            Assert.That(enumSchema.SelectToken(reference.Replace("#/", string.Empty, StringComparison.Ordinal).Replace('/', '.'))!["enum"]!.Select(t => (string?)t), Is.EqualTo(new[] { "Happy", "Sad" }));
        }
    }

    [Test]
    public void LlmStep_StringResult_SendsNoSchemaAndReturnsTheText()
    {
        var (workflow, client, runtime) = Arrange("Roses are red");
        using (runtime)
        {
            Assert.That(workflow.Poem("roses"), Is.EqualTo("Roses are red"));
            Assert.That(client.Requests[0].Options!.ResponseFormat, Is.Null);
        }
    }

    [Test]
    public async Task LlmStep_AsyncShapes_ReturnTheParsedResult()
    {
        var (workflow, _, runtime) = Arrange(RecipeJson, """{"IsValid":true,"Reason":null}""");
        using (runtime)
        {
            Assert.That((await workflow.DraftAsync("x", CancellationToken.None)).Description, Is.EqualTo("Pasta"));
            Assert.That((await workflow.JudgeAsync(Pasta)).IsValid, Is.True);
        }
    }

    [Test]
    public void LlmStep_CancellationTokenParameter_ReachesTheClient()
    {
        var (workflow, client, runtime) = Arrange(RecipeJson);
        using (runtime)
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();

            Assert.CatchAsync<OperationCanceledException>(() => workflow.DraftAsync("x", cancelled.Token));
            Assert.That(client.Remaining, Is.EqualTo(1), "the cancelled call took no reply");
            Assert.That(runtime.ExecutedSteps.Single().Exception, Is.InstanceOf<OperationCanceledException>());
        }
    }

    [Test]
    public void LlmStep_MalformedReply_IsSentBackWithTheErrorThenSucceeds()
    {
        var (workflow, client, runtime) = Arrange("{not json", RecipeJson);
        using (runtime)
        {
            Assert.That(workflow.Draft("x").Description, Is.EqualTo("Pasta"));

            Assert.That(client.Requests, Has.Count.EqualTo(2));
            var retry = client.Requests[1].Messages;
            Assert.That(retry.Select(m => m.Role), Is.EqualTo(new[] { ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.User }));
            Assert.That(retry[2].Text, Is.EqualTo("{not json"));
            Assert.That(retry[3].Text, Does.Contain("not valid JSON"));
            Assert.That(runtime.ExecutedSteps.Single().ModelCalls, Is.EqualTo(2));
        }
    }

    [Test]
    public void LlmStep_ReplyBreakingTheSchema_NamesTheMissingProperty()
    {
        var (workflow, client, runtime) = Arrange("""{"Description":"Pasta"}""", RecipeJson);
        using (runtime)
        {
            workflow.Draft("x");
            Assert.That(client.Requests[1].LastMessage, Does.Contain("$: missing required property 'Ingredients'"));
        }
    }

    [Test]
    public void LlmStep_InvalidAfterEveryRetry_ThrowsStepOutputExceptionWithRawReplyAndErrors()
    {
        var (workflow, client, runtime) = Arrange("""{"IsValid":"maybe"}""", """{"IsValid":"maybe"}""", """{"IsValid":"still maybe"}""");
        using (runtime)
        {
            var e = Assert.Throws<StepOutputException>(() => workflow.Judge(Pasta));

            Assert.That(e!.StepName, Is.EqualTo("Kitchen.Judge"));
            Assert.That(e.Attempts, Is.EqualTo(3), "1 call + OutputRetries (2)");
            Assert.That(e.RawReply, Is.EqualTo("""{"IsValid":"still maybe"}"""));
            Assert.That(e.Errors, Has.Some.EqualTo("$.IsValid: expected true or false, got a string"));
            Assert.That(e.Message, Does.Not.Contain("still maybe"), "model output stays out of the message, which reaches logs and spans");
            Assert.That(client.Requests, Has.Count.EqualTo(3));
            Assert.That(runtime.ExecutedSteps.Single().Exception, Is.SameAs(e));
        }
    }

    [Test]
    public void LlmStep_OutputRetriesZero_CallsOnce()
    {
        var (workflow, client, runtime) = Arrange("nope", "unused");
        using (runtime)
        {
            var e = Assert.Throws<StepOutputException>(() => workflow.JudgeOnce(Pasta));
            Assert.That(e!.Attempts, Is.EqualTo(1));
            Assert.That(client.Requests, Has.Count.EqualTo(1));
        }
    }

    [Test]
    public void LlmStep_DataAnnotationsViolation_IsRetriedWithTheMessage()
    {
        // maxLength is not allowed in strict mode, so only DataAnnotations can catch this one.
        var (workflow, client, runtime) = Arrange("""{"Stars":5,"Comment":"far too long"}""", """{"Stars":5,"Comment":"wow"}""");
        using (runtime)
        {
            Assert.That(workflow.Rate("x").Comment, Is.EqualTo("wow"));
            Assert.That(client.Requests[1].LastMessage, Does.Contain("$.Comment").And.Contain("maximum length of 5"));
        }
    }

    [Test]
    public void LlmStep_NumberOutsideSchemaRange_IsRetried()
    {
        var (workflow, client, runtime) = Arrange("""{"Stars":9,"Comment":"wow"}""", """{"Stars":5,"Comment":"wow"}""");
        using (runtime)
        {
            Assert.That(workflow.Rate("x").Stars, Is.EqualTo(5));
            Assert.That(client.Requests[1].LastMessage, Does.Contain("$.Stars: The field Stars must be between 1 and 5."));
        }
    }

    [Test]
    public void LlmStep_RangeAttribute_IsCarriedIntoTheSchema()
    {
        var (workflow, client, runtime) = Arrange("""{"Stars":3,"Comment":"ok"}""");
        using (runtime)
        {
            workflow.Rate("x");
            var schema = JObject.Parse(((ChatResponseFormatJson)client.Requests[0].Options!.ResponseFormat!).Schema!.Value.GetRawText());
            Assert.That((double?)schema["properties"]!["Stars"]!["minimum"], Is.EqualTo(1));
            Assert.That((double?)schema["properties"]!["Stars"]!["maximum"], Is.EqualTo(5));
            Assert.That(schema["properties"]!["Comment"]!["maxLength"], Is.Null, "strict mode rejects maxLength");
            Assert.That((string?)schema["properties"]!["Comment"]!["description"], Is.EqualTo("(at most 5 characters)"));
        }
    }

    [Test]
    public void LlmStep_ValidatableObjectViolation_IsRetried()
    {
        var (workflow, client, runtime) = Arrange("""{"Start":5,"End":1}""", """{"Start":1,"End":5}""");
        using (runtime)
        {
            Assert.That(workflow.Span("x").End, Is.EqualTo(5));
            Assert.That(client.Requests[1].LastMessage, Does.Contain("End must not be before Start."));
        }
    }

    [Test]
    public void LlmStep_ReplyNestedPastTheDepthCap_IsRejected()
    {
        var deep = string.Concat(Enumerable.Repeat("""{"Name":"n","Children":[""", 100)) + """{"Name":"leaf","Children":[]}""" + string.Concat(Enumerable.Repeat("]}", 100));
        var (workflow, _, runtime) = Arrange(deep, deep, deep);
        using (runtime)
        {
            var e = Assert.Throws<StepOutputException>(() => workflow.Tree("x"));
            Assert.That(e!.Errors.Single(), Does.Contain("not valid JSON").And.Contain("MaxDepth"));
        }
    }

    [Test]
    public void LlmStep_RecursiveOutputType_ParsesWithinTheCap()
    {
        var (workflow, _, runtime) = Arrange("""{"Name":"root","Children":[{"Name":"leaf","Children":[]}]}""");
        using (runtime)
        {
            Assert.That(workflow.Tree("x").Children.Single().Name, Is.EqualTo("leaf"));
        }
    }

    [Test]
    public void LlmStep_ReplyWithTypeMetadata_IsRejectedNotDeserialised()
    {
        var (workflow, _, runtime) = Arrange(
            """{"$type":"System.IO.FileInfo, System.IO.FileSystem","IsValid":true,"Reason":null}""",
            """{"$type":"x","IsValid":true,"Reason":null}""",
            """{"$type":"x","IsValid":true,"Reason":null}""");
        using (runtime)
        {
            var e = Assert.Throws<StepOutputException>(() => workflow.Judge(Pasta));
            Assert.That(e!.Errors, Has.Some.StartsWith("$.$type: unknown property"));
        }
    }

    [Test]
    public void LlmStep_ContentFilterFinish_ThrowsStepRefusedException()
    {
        var client = new ScriptedChatClient().Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Empty)) { FinishReason = ChatFinishReason.ContentFilter });
        using var runtime = new Runtime(client);

        var e = Assert.Throws<StepRefusedException>(() => Steps.Create<Kitchen>().Draft("x"));
        Assert.That(e!.StepName, Is.EqualTo("Kitchen.Draft"));
        Assert.That(client.Requests, Has.Count.EqualTo(1), "a refusal is not retried as a parse failure");
    }

    [Test]
    public void LlmStep_LengthFinish_ThrowsStepOutputTruncatedException()
    {
        var client = new ScriptedChatClient().Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, """{"Description":"Pas""")) { FinishReason = ChatFinishReason.Length });
        using var runtime = new Runtime(client);

        var e = Assert.Throws<StepOutputTruncatedException>(() => Steps.Create<Kitchen>().Draft("x"));
        Assert.That(e!.MaxOutputTokens, Is.EqualTo(500));
        Assert.That(e.RawReply, Is.EqualTo("""{"Description":"Pas"""));
        Assert.That(e.Message, Does.Contain("Raise MaxOutputTokens"));
    }

    [Test]
    public void LlmStep_ClientThrows_WrapsInStepModelExceptionNamingStepAndModel()
    {
        var client = new ScriptedChatClient().Enqueue(_ => throw new HttpRequestException("connection refused"));
        using var runtime = new Runtime(client);

        var e = Assert.Throws<StepModelException>(() => Steps.Create<Kitchen>().Draft("x"));
        Assert.That(e!.StepName, Is.EqualTo("Kitchen.Draft"));
        Assert.That(e.Model, Is.EqualTo("gpt-4o-mini"));
        Assert.That(e.InnerException, Is.InstanceOf<HttpRequestException>());
    }

    [Test]
    public void LlmStep_RecordsModelAndUsageSummedOverRetries()
    {
        ChatResponse Reply(string text, int input, int output) =>
            new(new ChatMessage(ChatRole.Assistant, text)) { FinishReason = ChatFinishReason.Stop, Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output } };
        var client = new ScriptedChatClient().Enqueue(_ => Reply("bad", 10, 2)).Enqueue(_ => Reply(RecipeJson, 20, 8));
        using var runtime = new Runtime(client);

        Steps.Create<Kitchen>().Draft("x");

        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Kind, Is.EqualTo(StepKind.Llm));
        Assert.That(step.Model, Is.EqualTo("gpt-4o-mini"));
        Assert.That(step.Usage!.InputTokenCount, Is.EqualTo(30));
        Assert.That(step.Usage.OutputTokenCount, Is.EqualTo(10));
        Assert.That(step.Result, Is.EqualTo(Pasta).Using<Recipe>((a, b) => a.Description == b.Description));
    }

    [Test]
    public void LlmStep_Logging_ReportsCallsRepliesAndRetries()
    {
        var lines = new List<string>();
        var logger = new ListLogger();
        var options = new RuntimeOptions { ChatClient = new ScriptedChatClient("oops", RecipeJson), Log = lines.Add, Logger = logger };
        using var runtime = new Runtime(options);

        Steps.Create<Kitchen>().Draft("soup");

        Assert.That(lines, Has.Count.EqualTo(5));
        Assert.That(lines[0], Is.EqualTo("Kitchen.Draft -> gpt-4o-mini (call 1): soup"));
        Assert.That(lines[1], Does.StartWith("Kitchen.Draft <- gpt-4o-mini (call 1").And.EndWith(": oops"));
        Assert.That(lines[2], Does.StartWith("Kitchen.Draft: reply 1 was invalid"));
        Assert.That(logger.Entries.Select(e => e.EventId.Name), Is.EqualTo(new[] { "ModelCall", "ModelReply", "InvalidReply", "ModelCall", "ModelReply", "StepCompleted" }));
        var call = logger.Entries[0].State.ToDictionary(p => p.Key, p => p.Value);
        Assert.That(call["Step"], Is.EqualTo("Kitchen.Draft"));
        Assert.That(call["Model"], Is.EqualTo("gpt-4o-mini"));
        Assert.That(call["Attempt"], Is.EqualTo(1));
        Assert.That(call["PromptLength"], Is.EqualTo(4), "without EnableSensitiveData the logger gets no text");
        Assert.That(logger.Entries.Select(e => e.Message), Has.None.Contains("soup").And.None.Contains("Pasta"));
        var completed = logger.Entries[^1].State.ToDictionary(p => p.Key, p => p.Value);
        Assert.That(completed["RunId"], Is.EqualTo(runtime.RunId));
        Assert.That(completed["Step"], Is.EqualTo("Kitchen.Draft"));
        Assert.That(completed["InputTokens"], Is.EqualTo(0L));
        Assert.That(completed.Keys, Does.Contain("DurationMs"));
    }

    [Test]
    public void LlmStep_LoggingWithSensitiveData_GivesTheLoggerPromptAndReply()
    {
        var logger = new ListLogger();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient(RecipeJson), Logger = logger, EnableSensitiveData = true });

        Steps.Create<Kitchen>().Draft("soup");

        Assert.That(logger.Entries[0].State.ToDictionary(p => p.Key, p => p.Value)["Prompt"], Is.EqualTo("soup"));
        Assert.That(logger.Entries[1].State.ToDictionary(p => p.Key, p => p.Value)["Reply"], Is.EqualTo(RecipeJson));
    }

    [Test]
    public void FailedStep_IsLoggedWithItsErrorType()
    {
        var logger = new ListLogger();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient("no", "no", "no"), Logger = logger });

        Assert.Throws<StepOutputException>(() => Steps.Create<Kitchen>().Judge(Pasta));

        var failed = logger.Entries.Single(e => e.EventId.Name == "StepFailed");
        Assert.That(failed.Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
        Assert.That(failed.State.ToDictionary(p => p.Key, p => p.Value)["ErrorType"], Is.EqualTo(nameof(StepOutputException)));
    }

    [Test]
    public void LlmStep_WithoutAnyModel_ThrowsListingWaysToSetOne()
    {
        using var runtime = new Runtime(new ScriptedChatClient());
        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<Kitchen>().NoModel("x"));
        Assert.That(e!.Message, Does.Contain("'Kitchen.NoModel' names no model").And.Contain("AGENTSTEPS_MODEL"));
    }
}
