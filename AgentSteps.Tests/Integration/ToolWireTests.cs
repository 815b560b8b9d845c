using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests.Integration;

/// <summary>
/// Tool calling through AgentSteps' runtime and the real OpenAI client against <see cref="OpenAIWireServer"/> on
/// 127.0.0.1: what the runtime puts on the wire (tools, schemas, strict flags, tool_choice, tool messages with call ids)
/// and what it does with the tool calls the server scripts. The MCP test also calls the real <see cref="McpTestServer"/>.
/// </summary>
public class ToolWireTests
{
    public record RecipeSummary(string Title, int Minutes);

    public record OrderReceipt(int Items, string Status);

    public record MealPlan(string Dish, List<string> Steps);

    [JsonDerivedType(typeof(Escalate))]
    [JsonDerivedType(typeof(Answer))]
    public abstract record TicketDecision;

    [Description("Hand the ticket to a team.")]
    public sealed record Escalate(string Team, string Reason) : TicketDecision;

    public sealed record Answer(string Text) : TicketDecision;

    public abstract class Kitchen
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        [Step, Description("Searches the recipe book for recipes that match the query.")]
        public virtual Task<IReadOnlyList<RecipeSummary>> SearchRecipesAsync([Description("What to look for, such as 'soup'.")] string query, CancellationToken cancellationToken = default)
        {
            Calls.Enqueue("search:" + query);
            return Task.FromResult<IReadOnlyList<RecipeSummary>>([new RecipeSummary(query + " soup", 20)]);
        }

        [Step(RequiresApproval = true), Description("Orders missing ingredients from the grocery service.")]
        public virtual OrderReceipt OrderIngredients([Description("The ingredients to order.")] List<string> items)
        {
            Calls.Enqueue("order:" + string.Join(",", items));
            return new OrderReceipt(items.Count, "ordered");
        }

        [Step, Description("Tastes the dish.")]
        public virtual string Taste(string dish)
        {
            Calls.Enqueue("taste:" + dish);
            return "tasty " + dish;
        }

        [Step, Description("Lights the oven.")]
        public virtual string LightOven(int degrees)
        {
            Calls.Enqueue("oven:" + degrees);
            throw new InvalidOperationException($"the oven would not light at {degrees} degrees");
        }

        [Step, Description("Calls the supplier.")]
        public virtual string CallSupplier(string item) =>
            throw new HttpRequestException($"The supplier refused '{item}' for Authorization: Bearer {SupplierKey}.");

        [Step(Model = "gpt-4o-mini"), Description("You are a sommelier. Suggest a wine.")]
        public abstract string SuggestWine(string dish);

        [Step(Model = "gpt-4o-mini", Tools = [nameof(SearchRecipesAsync), nameof(OrderIngredients), nameof(Taste), nameof(LightOven), nameof(SuggestWine), nameof(CallSupplier), "convert_units"], MaxToolCalls = 3)]
        [Description("You plan dinners. Use the tools.")]
        public abstract Task<MealPlan> PlanDinnerAsync(string request, CancellationToken cancellationToken = default);

        [Step(Model = "gpt-4o-mini"), Description("Decide what to do with a support ticket.")]
        public abstract Task<TicketDecision> TriageAsync(string ticket);

        [Step, Description("Looks up the customer's plan.")]
        public virtual string LookUpPlan(string customer)
        {
            Calls.Enqueue("plan:" + customer);
            return "gold";
        }

        [Step(Model = "gpt-4o-mini", Tools = [nameof(LookUpPlan)]), Description("Decide, after looking up the customer's plan.")]
        public abstract Task<TicketDecision> TriageWithToolsAsync(string ticket);
    }

    public abstract class Converter
    {
        [Step(Model = "gpt-4o-mini", Tools = [McpTestServer.ConvertUnitsTool, McpTestServer.FailAlwaysTool])]
        [Description("You convert units and order groceries with the tools.")]
        public abstract Task<string> ConvertAsync(string request);
    }

    private const string SupplierKey = "sk-live-0123456789abcdefghij";

    private const string PlanJson = """{"Dish":"soup","Steps":["boil"]}""";

    private OpenAIWireServer _server = null!;
    private ConcurrentQueue<string> _converted = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await OpenAIWireServer.StartAsync();
        _converted = new ConcurrentQueue<string>();
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task Tools_OnTheWire_HaveNamesDescriptionsSchemasAndStrictFlags()
    {
        _server.ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("dinner for two");
        }

        var request = _server.Requests.Single();
        Assert.That(request.ToolNames, Is.EquivalentTo(new[] { "SearchRecipesAsync", "OrderIngredients", "Taste", "LightOven", "SuggestWine", "CallSupplier", "convert_units" }));
        Assert.That(request.Tools.Select(t => (string?)t["type"]), Has.All.EqualTo("function"));

        var search = request.Function("SearchRecipesAsync");
        Assert.Multiple(() =>
        {
            Assert.That((string?)search["description"], Is.EqualTo("Searches the recipe book for recipes that match the query."));
            Assert.That((bool?)search["strict"], Is.True);
            var parameters = (JObject)search["parameters"]!;
            Assert.That((string?)parameters["type"], Is.EqualTo("object"));
            Assert.That(((JObject)parameters["properties"]!).Properties().Select(p => p.Name), Is.EqualTo(new[] { "query" }), "the CancellationToken is left out");
            Assert.That((string?)parameters["properties"]!["query"]!["type"], Is.EqualTo("string"));
            Assert.That((string?)parameters["properties"]!["query"]!["description"], Is.EqualTo("What to look for, such as 'soup'."));
            Assert.That(parameters["required"]!.Values<string>(), Is.EqualTo(new[] { "query" }));
            Assert.That((bool?)parameters["additionalProperties"], Is.False);
        });

        var order = request.Function("OrderIngredients");
        var oven = request.Function("LightOven");
        var wine = request.Function("SuggestWine");
        Assert.Multiple(() =>
        {
            Assert.That((bool?)order["strict"], Is.True);
            Assert.That((string?)order["parameters"]!["properties"]!["items"]!["type"], Is.EqualTo("array"));
            Assert.That((string?)order["parameters"]!["properties"]!["items"]!["items"]!["type"], Is.EqualTo("string"));
            Assert.That((string?)order["parameters"]!["properties"]!["items"]!["description"], Is.EqualTo("The ingredients to order."));
            Assert.That((string?)oven["parameters"]!["properties"]!["degrees"]!["type"], Is.EqualTo("integer"));
            Assert.That((bool?)oven["strict"], Is.True);
            Assert.That((string?)wine["description"], Is.EqualTo("You are a sommelier. Suggest a wine."), "a sub-agent is described by its prompt");
            Assert.That((bool?)wine["strict"], Is.True);
        });

        var convert = request.Function("convert_units");
        Assert.Multiple(() =>
        {
            Assert.That((string?)convert["description"], Is.EqualTo("Converts an amount between units."));
            Assert.That((bool?)convert["strict"], Is.False, "an external function's schema is its own: not strict");
            Assert.That(((JObject)convert["parameters"]!["properties"]!).Properties().Select(p => p.Name), Is.EqualTo(new[] { "amount", "from", "to" }));
            Assert.That((string?)convert["parameters"]!["properties"]!["amount"]!["type"], Is.EqualTo("number"));
        });
    }

    [Test]
    public async Task ToolChoice_OfAPlainStepWithTools_IsAutoOrAbsent()
    {
        _server.ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(_server.Requests.Single().ToolChoice, Is.Null.Or.EqualTo("auto"));
    }

    [Test]
    public async Task UnionStep_OnTheWire_OffersStrictOutputToolsAndRequiresAToolCall()
    {
        _server.ReplyToolCalls(("call_1", "Answer", """{"Text":"Done."}"""));
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.TriageAsync("Refund please");
        }

        var request = _server.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(request.ToolChoice, Is.EqualTo("required"));
            Assert.That(request.Body["response_format"], Is.Null.Or.Matches<JToken>(t => t.Type == JTokenType.Null), "the answer is a tool call, not a JSON response");
            Assert.That(request.ToolNames, Is.EqualTo(new[] { "Escalate", "Answer" }));
            Assert.That(request.Tools.Select(t => (bool?)t["function"]!["strict"]), Has.All.True);
            Assert.That((string?)request.Function("Escalate")["description"], Does.Contain("Hand the ticket to a team."));
            Assert.That(((JObject)request.Function("Escalate")["parameters"]!["properties"]!).Properties().Select(p => p.Name), Is.EquivalentTo(new[] { "Team", "Reason" }));
            Assert.That(((JObject)request.Function("Answer")["parameters"]!["properties"]!).Properties().Select(p => p.Name), Is.EqualTo(new[] { "Text" }));
        });
    }

    [Test]
    public async Task FollowUpRequest_CarriesTheAssistantToolCalls_AndOneToolMessagePerCall()
    {
        _server
            .ReplyToolCalls(("call_search", "SearchRecipesAsync", """{"query":"leek"}"""))
            .ReplyToolCalls(("call_taste", "Taste", """{"dish":"leek soup"}"""))
            .ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        MealPlan plan;
        using (runtime)
        {
            plan = await kitchen.PlanDinnerAsync("dinner for two");
        }

        Assert.That(plan.Dish, Is.EqualTo("soup"));
        Assert.That(kitchen.Calls, Is.EqualTo(new[] { "search:leek", "taste:leek soup" }));
        Assert.That(_server.Requests, Has.Count.EqualTo(3));

        var second = _server.Requests[1];
        Assert.That(second.Messages.Select(m => (string?)m["role"]), Is.EqualTo(new[] { "system", "user", "assistant", "tool" }));
        var echoed = second.AssistantToolCalls.Single();
        Assert.That((echoed.Id, echoed.Name), Is.EqualTo(("call_search", "SearchRecipesAsync")));
        Assert.That(JToken.DeepEquals(JObject.Parse(echoed.ArgumentsJson!), JObject.Parse("""{"query":"leek"}""")), Is.True, echoed.ArgumentsJson);
        var searched = second.ToolMessages.Single();
        Assert.That(searched.ToolCallId, Is.EqualTo("call_search"));
        Assert.That(JToken.DeepEquals(JToken.Parse(searched.Content!), JArray.Parse("""[{"Title":"leek soup","Minutes":20}]""")), Is.True, searched.Content);

        var third = _server.Requests[2];
        Assert.That(third.Messages.Select(m => (string?)m["role"]), Is.EqualTo(new[] { "system", "user", "assistant", "tool", "assistant", "tool" }));
        Assert.That(third.AssistantToolCalls.Select(c => c.Id), Is.EqualTo(new[] { "call_search", "call_taste" }));
        Assert.That(third.ToolMessages, Is.EqualTo(new[]
        {
            new OpenAIWireServer.ToolMessage("call_search", searched.Content),
            new OpenAIWireServer.ToolMessage("call_taste", "tasty leek soup"),
        }));
    }

    [Test]
    public async Task DuplicateKeyInTheArgumentsOnTheWire_IsAnError_NotTheLastValue()
    {
        _server
            .ReplyToolCalls(("call_dup", "Taste", """{"dish":"a","dish":"b"}"""))
            .ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(kitchen.Calls, Is.Empty);
        Assert.That(_server.Requests[1].ToolMessages.Single().Content, Does.StartWith("Error: the arguments do not fit").And.Contain("dish"));
    }

    [Test]
    public async Task ParallelToolCalls_BothRunAtOnce_AreRecordedUnderTheLlmStepInReplyOrder_AndBothAnswered()
    {
        _server
            .ReplyToolCalls(("call_a", "Taste", """{"dish":"a"}"""), ("call_b", "Taste", """{"dish":"b"}"""))
            .ReplyContent(PlanJson);

        // The first call waits until the second has started: both can only finish if they run at once.
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (runtime, kitchen) = Open(options => options.Use(async (context, next) =>
        {
            if (context.Info.Name == nameof(Kitchen.Taste))
            {
                if (Equals(context.Arguments[0], "b"))
                {
                    secondStarted.TrySetResult();
                }
                else
                {
                    await secondStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
                }
            }

            return await next(context);
        }));
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.PlanDinnerAsync));
        Assert.That(root.Children.Select(c => (c.Key, c.Arguments["dish"], c.Result, c.Kind)), Is.EquivalentTo(new (string, object?, object?, StepKind)[]
        {
            ("PlanDinnerAsync:1/Taste:1", "a", "tasty a", StepKind.Code),
            ("PlanDinnerAsync:1/Taste:2", "b", "tasty b", StepKind.Code),
        }));
        Assert.That(root.Children.Select(c => c.Parent), Has.All.SameAs(root));
        var followUp = _server.Requests[1];
        Assert.That(followUp.AssistantToolCalls.Select(c => c.Id), Is.EqualTo(new[] { "call_a", "call_b" }));
        Assert.That(followUp.ToolMessages, Is.EqualTo(new[]
        {
            new OpenAIWireServer.ToolMessage("call_a", "tasty a"),
            new OpenAIWireServer.ToolMessage("call_b", "tasty b"),
        }));
    }

    [Test]
    public async Task ToolThatThrows_SendsItsMessageOnly_AndTheStepGoesOn()
    {
        _server.ReplyToolCalls(("call_oven", "LightOven", """{"degrees":500}""")).ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        MealPlan plan;
        using (runtime)
        {
            plan = await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(plan.Dish, Is.EqualTo("soup"));
        Assert.That(kitchen.Calls, Is.EqualTo(new[] { "oven:500" }));
        var oven = runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.LightOven));
        Assert.That(oven.Exception, Is.InstanceOf<InvalidOperationException>());
        var message = _server.Requests[1].ToolMessages.Single();
        Assert.That(message.ToolCallId, Is.EqualTo("call_oven"));
        Assert.That(message.Content, Is.EqualTo("Error: the oven would not light at 500 degrees"));
        Assert.That(message.Content, Does.Not.Contain("InvalidOperationException").And.Not.Contain(" at AgentSteps").And.Not.Contain("ToolWireTests"));
    }

    [Test]
    public async Task ToolThatThrowsWithASecretInItsMessage_SendsTheMessageWithTheSecretMasked()
    {
        _server.ReplyToolCalls(("call_supplier", "CallSupplier", """{"item":"leek"}""")).ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        var message = _server.Requests[1].ToolMessages.Single();
        Assert.That(message.Content, Does.StartWith("Error: The supplier refused 'leek'").And.Not.Contain(SupplierKey).And.Not.Contain("HttpRequestException"));
        Assert.That(runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.CallSupplier)).Exception, Is.InstanceOf<HttpRequestException>());
    }

    [Test]
    public async Task McpToolError_WithItsOwnMessage_ReachesTheModelAsThatMessage_AndTheCallIsRecordedAsFailed()
    {
        await using var mcp = await McpTestServer.StartAsync();
        var tools = await mcp.ListToolsAsync();
        _server.ReplyToolCalls(("call_convert", McpTestServer.ConvertUnitsTool, """{"amount":1,"from":"km","to":"kg"}""")).ReplyContent("cannot");
        var options = new RuntimeOptions { ChatClient = RuntimeOptions.CreateOpenAIClient("sk-test", _server.BaseUrl) };
        foreach (var tool in tools)
        {
            options.Tools.Add(tool);
        }

        Runtime runtime;
        using (runtime = new Runtime(options))
        {
            await Steps.Create<Converter>().ConvertAsync("x");
        }

        Assert.That(mcp.CallCount(McpTestServer.ConvertUnitsTool), Is.EqualTo(1));
        // The MCP SDK sends the McpException's message after its own prefix; the runtime passes that text on as it is.
        var message = _server.Requests[1].ToolMessages.Single();
        Assert.That(message.ToolCallId, Is.EqualTo("call_convert"));
        Assert.That(message.Content, Does.StartWith("Error: ").And.EndWith("Cannot convert 'km' to 'kg'.").And.Not.Contain("isError"));
        Assert.That(runtime.ExecutedSteps.Single(s => s.Name == McpTestServer.ConvertUnitsTool).Succeeded, Is.False);
    }

    [Test]
    public async Task UnknownToolName_GoesBackAsAnError_ListingTheTools()
    {
        _server.ReplyToolCalls(("call_x", "BakeCake", """{"minutes":30}""")).ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(kitchen.Calls, Is.Empty);
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { nameof(Kitchen.PlanDinnerAsync) }));
        var message = _server.Requests[1].ToolMessages.Single();
        Assert.That(message.ToolCallId, Is.EqualTo("call_x"));
        Assert.That(message.Content, Does.StartWith("Error: there is no tool named 'BakeCake'")
            .And.Contain("SearchRecipesAsync").And.Contain("Taste").And.Contain("convert_units"));
    }

    [Test]
    public async Task ArgumentsThatDoNotFitTheSchema_GoBackAsErrors_WithoutRunningTheTool()
    {
        _server
            .ReplyToolCalls(
                ("call_type", "Taste", """{"dish":5}"""),
                ("call_name", "Taste", """{"food":"soup"}"""),
                ("call_external", "convert_units", """{"amount":"lots","from":"cup"}"""))
            .ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(kitchen.Calls, Is.Empty);
        Assert.That(_converted, Is.Empty);
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { nameof(Kitchen.PlanDinnerAsync) }));
        var messages = _server.Requests[1].ToolMessages;
        Assert.That(messages.Select(m => m.ToolCallId), Is.EqualTo(new[] { "call_type", "call_name", "call_external" }));
        Assert.Multiple(() =>
        {
            Assert.That(messages[0].Content, Does.StartWith("Error: the arguments do not fit the parameters of 'Taste'").And.Contain("dish"));
            Assert.That(messages[1].Content, Does.StartWith("Error: the arguments do not fit the parameters of 'Taste'").And.Contain("food"));
            Assert.That(messages[2].Content, Does.StartWith("Error: the arguments do not fit the parameters of 'convert_units'"));
        });
    }

    [Test]
    public async Task ArgumentsThatAreNotJson_GoBackAsAnError_WithoutRunningTheTool()
    {
        _server.ReplyToolCalls(("call_json", "Taste", "{not json")).ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(kitchen.Calls, Is.Empty);
        var message = _server.Requests[1].ToolMessages.Single();
        Assert.That(message.ToolCallId, Is.EqualTo("call_json"));
        Assert.That(message.Content, Does.StartWith("Error: the arguments are not valid JSON"));
    }

    [Test]
    public void MaxToolCalls_EndsTheStep_AndTheServerIsAskedNoFurther()
    {
        _server
            .ReplyToolCalls(("call_1", "Taste", """{"dish":"a"}"""), ("call_2", "Taste", """{"dish":"b"}"""))
            .ReplyToolCalls(("call_3", "Taste", """{"dish":"c"}"""), ("call_4", "Taste", """{"dish":"d"}"""))
            .ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            var e = Assert.ThrowsAsync<MaxToolCallsExceededException>(() => kitchen.PlanDinnerAsync("x"));
            Assert.That(e!.MaxToolCalls, Is.EqualTo(3));
            Assert.That(e.Requested, Is.EqualTo(4));
            Assert.That(e.StepName, Does.Contain(nameof(Kitchen.PlanDinnerAsync)));
        }

        Assert.That(_server.Requests, Has.Count.EqualTo(2), "no request after the limit");
        Assert.That(kitchen.Calls, Is.EquivalentTo(new[] { "taste:a", "taste:b" }), "the calls past the limit did not run");
        Assert.That(runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.PlanDinnerAsync)).Exception, Is.InstanceOf<MaxToolCallsExceededException>());
    }

    [Test]
    public async Task Approval_Granted_RunsTheTool_AndItsResultGoesOnTheWire()
    {
        _server.ReplyToolCalls(("call_order", "OrderIngredients", """{"items":["leek","salt"]}""")).ReplyContent(PlanJson);
        var asked = new ConcurrentQueue<ToolApprovalRequestContent>();
        var (runtime, kitchen) = Open(options => options.ApprovalHandler = (request, _) =>
        {
            asked.Enqueue(request);
            return ValueTask.FromResult(true);
        });
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(kitchen.Calls, Is.EqualTo(new[] { "order:leek,salt" }));
        var request = asked.Single();
        var call = (FunctionCallContent)request.ToolCall;
        Assert.That((request.RequestId, call.CallId, call.Name), Is.EqualTo(("call_order", "call_order", "OrderIngredients")));
        Assert.That(call.Arguments!["items"]!.ToString(), Does.Contain("leek").And.Contain("salt"));
        var order = runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.OrderIngredients));
        Assert.That(order.Exception, Is.Null);
        var message = _server.Requests[1].ToolMessages.Single();
        Assert.That(message.ToolCallId, Is.EqualTo("call_order"));
        Assert.That(JToken.DeepEquals(JToken.Parse(message.Content!), JObject.Parse("""{"Items":2,"Status":"ordered"}""")), Is.True, message.Content);
    }

    [Test]
    public async Task Approval_Denied_DoesNotRun_IsRecorded_AndTheDenialGoesOnTheWire()
    {
        _server.ReplyToolCalls(("call_order", "OrderIngredients", """{"items":["caviar"]}""")).ReplyContent(PlanJson);
        var (runtime, kitchen) = Open(options => options.ApprovalHandler = (_, _) => ValueTask.FromResult(false));
        MealPlan plan;
        using (runtime)
        {
            plan = await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(plan.Dish, Is.EqualTo("soup"));
        Assert.That(kitchen.Calls, Is.Empty);
        var order = runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.OrderIngredients));
        Assert.That(order.Exception, Is.InstanceOf<ToolCallDeniedException>());
        var denied = (ToolCallDeniedException)order.Exception!;
        Assert.That((denied.ToolName, denied.CallId), Is.EqualTo(("OrderIngredients", "call_order")));
        var message = _server.Requests[1].ToolMessages.Single();
        Assert.That(message.ToolCallId, Is.EqualTo("call_order"));
        Assert.That(message.Content, Is.EqualTo("Error: the call of 'OrderIngredients' was not approved, so it did not run."));
    }

    [Test]
    public async Task Union_AnsweredByEscalate_ReturnsThatVariant_WithoutAnotherRequest()
    {
        _server.ReplyToolCalls(("call_1", "Escalate", """{"Team":"billing","Reason":"refund"}"""));
        var (runtime, kitchen) = Open();
        TicketDecision decision;
        using (runtime)
        {
            decision = await kitchen.TriageAsync("Refund please");
        }

        Assert.That(decision, Is.EqualTo(new Escalate("billing", "refund")));
        Assert.That(runtime.ExecutedSteps.Single().Result, Is.EqualTo(new Escalate("billing", "refund")));
        Assert.That(_server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Union_AnsweredByAnswer_ReturnsThatVariant_WithoutAnotherRequest()
    {
        _server.ReplyToolCalls(("call_1", "Answer", """{"Text":"Refunded."}"""));
        var (runtime, kitchen) = Open();
        TicketDecision decision;
        using (runtime)
        {
            decision = await kitchen.TriageAsync("Refund please");
        }

        Assert.That(decision, Is.EqualTo(new Answer("Refunded.")));
        Assert.That(runtime.ExecutedSteps.Single().Result, Is.EqualTo(new Answer("Refunded.")));
        Assert.That(_server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Union_AnsweredInText_IsCorrected_AndStillRequiresAToolCall()
    {
        _server.ReplyContent("I would escalate it.").ReplyToolCalls(("call_1", "Answer", """{"Text":"ok"}"""));
        var (runtime, kitchen) = Open();
        TicketDecision decision;
        using (runtime)
        {
            decision = await kitchen.TriageAsync("Refund please");
        }

        Assert.That(decision, Is.EqualTo(new Answer("ok")));
        Assert.That(_server.Requests, Has.Count.EqualTo(2));
        var second = _server.Requests[1];
        Assert.That(second.ToolChoice, Is.EqualTo("required"));
        Assert.That(second.Messages.Select(m => (string?)m["role"]), Is.EqualTo(new[] { "system", "user", "assistant", "user" }));
        Assert.That((string?)second.Messages[2]["content"], Is.EqualTo("I would escalate it."));
        Assert.That((string?)second.Messages[3]["content"], Does.Contain("Escalate, Answer"));
    }

    [Test]
    public async Task UnionWithTools_CallsATool_ThenAnswersWithAVariant_RequiringAToolCallOnEveryRequest()
    {
        _server
            .ReplyToolCalls(("call_plan", "LookUpPlan", """{"customer":"ada"}"""))
            .ReplyToolCalls(("call_answer", "Answer", """{"Text":"Gold customers get refunds."}"""));
        var (runtime, kitchen) = Open();
        TicketDecision decision;
        using (runtime)
        {
            decision = await kitchen.TriageWithToolsAsync("Refund please");
        }

        Assert.That(decision, Is.EqualTo(new Answer("Gold customers get refunds.")));
        Assert.That(kitchen.Calls, Is.EqualTo(new[] { "plan:ada" }));
        Assert.That(_server.Requests, Has.Count.EqualTo(2));
        Assert.That(_server.Requests.Select(r => r.ToolChoice), Has.All.EqualTo("required"));
        Assert.That(_server.Requests[0].ToolNames, Is.EqualTo(new[] { "LookUpPlan", "Escalate", "Answer" }));
        Assert.That(_server.Requests[1].ToolMessages, Is.EqualTo(new[] { new OpenAIWireServer.ToolMessage("call_plan", "gold") }));
        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.TriageWithToolsAsync));
        Assert.That(root.Children.Select(c => c.Key), Is.EqualTo(new[] { "TriageWithToolsAsync:1/LookUpPlan:1" }));
    }

    [Test]
    public async Task TwoSubAgentCallsInOneReply_EachMakeTheirOwnRequest_AndAreRecordedInReplyOrder()
    {
        _server
            .ReplyToolCalls(("call_red", "SuggestWine", """{"dish":"steak"}"""), ("call_white", "SuggestWine", """{"dish":"fish"}"""))
            .ReplyContent(WineFor)
            .ReplyContent(WineFor)
            .ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(_server.Requests, Has.Count.EqualTo(4));
        Assert.That(_server.Requests.Skip(1).Take(2).Select(r => (string?)r.Messages[1]["content"]), Is.EquivalentTo(new[] { "steak", "fish" }));
        Assert.That(_server.Requests[3].ToolMessages, Is.EqualTo(new[]
        {
            new OpenAIWireServer.ToolMessage("call_red", "A wine for steak."),
            new OpenAIWireServer.ToolMessage("call_white", "A wine for fish."),
        }));
        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.PlanDinnerAsync));
        Assert.That(root.Children.Select(c => (c.Key, c.Arguments["dish"], c.Result)), Is.EquivalentTo(new (string, object?, object?)[]
        {
            ("PlanDinnerAsync:1/SuggestWine:1", "steak", "A wine for steak."),
            ("PlanDinnerAsync:1/SuggestWine:2", "fish", "A wine for fish."),
        }));
    }

    [Test]
    public async Task ParallelCallsNeedingApproval_OneGrantedOneDenied_EachAnsweredUnderItsCallId()
    {
        _server
            .ReplyToolCalls(("call_leek", "OrderIngredients", """{"items":["leek"]}"""), ("call_caviar", "OrderIngredients", """{"items":["caviar"]}"""))
            .ReplyContent(PlanJson);
        var (runtime, kitchen) = Open(options => options.ApprovalHandler = (request, _) => ValueTask.FromResult(request.RequestId == "call_leek"));
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(kitchen.Calls, Is.EqualTo(new[] { "order:leek" }));
        var messages = _server.Requests[1].ToolMessages;
        Assert.That(messages.Select(m => m.ToolCallId), Is.EqualTo(new[] { "call_leek", "call_caviar" }));
        Assert.That(JToken.DeepEquals(JToken.Parse(messages[0].Content!), JObject.Parse("""{"Items":1,"Status":"ordered"}""")), Is.True, messages[0].Content);
        Assert.That(messages[1].Content, Does.Contain("not approved"));
        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.PlanDinnerAsync));
        Assert.That(root.Children.Select(c => (c.Key, c.Exception?.GetType())), Is.EquivalentTo(new (string, Type?)[]
        {
            ("PlanDinnerAsync:1/OrderIngredients:1", null),
            ("PlanDinnerAsync:1/OrderIngredients:2", typeof(ToolCallDeniedException)),
        }));
    }

    [Test]
    public async Task McpTool_WithArgumentsThatDoNotFitItsSchema_IsNotCalled_AndTheModelIsTold()
    {
        await using var mcp = await McpTestServer.StartAsync();
        var tools = await mcp.ListToolsAsync();
        _server.ReplyToolCalls(("call_convert", McpTestServer.ConvertUnitsTool, """{"amount":"lots","from":"km"}""")).ReplyContent("sorry");
        var options = new RuntimeOptions { ChatClient = RuntimeOptions.CreateOpenAIClient("sk-test", _server.BaseUrl) };
        foreach (var tool in tools)
        {
            options.Tools.Add(tool);
        }

        using (new Runtime(options))
        {
            Assert.That(await Steps.Create<Converter>().ConvertAsync("x"), Is.EqualTo("sorry"));
        }

        Assert.That(mcp.Calls, Is.Empty);
        var message = _server.Requests[1].ToolMessages.Single();
        Assert.That(message.ToolCallId, Is.EqualTo("call_convert"));
        Assert.That(message.Content, Does.StartWith("Error: the arguments do not fit the parameters of 'convert_units'"));
    }

    [Test]
    public async Task LlmStepAsTool_MakesItsOwnRequest_AndItsAnswerIsTheToolResult()
    {
        _server
            .ReplyToolCalls(("call_wine", "SuggestWine", """{"dish":"soup"}"""))
            .ReplyContent("A dry white.")
            .ReplyContent(PlanJson);
        var (runtime, kitchen) = Open();
        using (runtime)
        {
            await kitchen.PlanDinnerAsync("x");
        }

        Assert.That(_server.Requests, Has.Count.EqualTo(3));
        var subAgent = _server.Requests[1];
        Assert.That(subAgent.Messages.Select(m => ((string?)m["role"], (string?)m["content"])), Is.EqualTo(new[]
        {
            ("system", "You are a sommelier. Suggest a wine."),
            ("user", "soup"),
        }));
        Assert.That(subAgent.Tools, Is.Empty, "the sub-agent offers no tools of its own");
        Assert.That(_server.Requests[2].ToolMessages, Is.EqualTo(new[] { new OpenAIWireServer.ToolMessage("call_wine", "A dry white.") }));

        var wine = runtime.ExecutedSteps.Single(s => s.Name == nameof(Kitchen.SuggestWine));
        Assert.Multiple(() =>
        {
            Assert.That(wine.Kind, Is.EqualTo(StepKind.Llm));
            Assert.That(wine.Key, Is.EqualTo("PlanDinnerAsync:1/SuggestWine:1"));
            Assert.That(wine.Parent!.Name, Is.EqualTo(nameof(Kitchen.PlanDinnerAsync)));
            Assert.That(wine.ModelCalls, Is.EqualTo(1));
            Assert.That(wine.Result, Is.EqualTo("A dry white."));
        });
    }

    [Test]
    public async Task McpTools_CalledByTheModel_ReachTheMcpServer_AreRecorded_AndTheirResultsGoBackAsText()
    {
        await using var mcp = await McpTestServer.StartAsync();
        var tools = await mcp.ListToolsAsync();
        _server
            .ReplyToolCalls(
                ("call_convert", McpTestServer.ConvertUnitsTool, """{"amount":42,"from":"km","to":"mi"}"""),
                ("call_fail", McpTestServer.FailAlwaysTool, "{}"))
            .ReplyContent("42 km is 26.098 mi; the order failed.");
        var options = new RuntimeOptions { ChatClient = RuntimeOptions.CreateOpenAIClient("sk-test", _server.BaseUrl) };
        foreach (var tool in tools)
        {
            options.Tools.Add(tool);
        }

        string answer;
        Runtime runtime;
        using (runtime = new Runtime(options))
        {
            answer = await Steps.Create<Converter>().ConvertAsync("Convert 42 km to miles and order dinner.");
        }

        Assert.That(answer, Is.EqualTo("42 km is 26.098 mi; the order failed."));
        Assert.That(mcp.CallCount(McpTestServer.ConvertUnitsTool), Is.EqualTo(1));
        Assert.That(mcp.CallCount(McpTestServer.FailAlwaysTool), Is.EqualTo(1));

        var offered = _server.Requests[0];
        Assert.That(offered.ToolNames, Is.EquivalentTo(new[] { McpTestServer.ConvertUnitsTool, McpTestServer.FailAlwaysTool }));
        Assert.That((bool?)offered.Function(McpTestServer.ConvertUnitsTool)["strict"], Is.False);
        Assert.That((string?)offered.Function(McpTestServer.ConvertUnitsTool)["parameters"]!["properties"]!["from"]!["description"], Is.EqualTo("The unit of the amount."));

        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(Converter.ConvertAsync));
        Assert.That(root.Children.Select(c => (c.Name, c.Kind, c.Key)), Is.EquivalentTo(new[]
        {
            (McpTestServer.ConvertUnitsTool, StepKind.Tool, "ConvertAsync:1/convert_units:1"),
            (McpTestServer.FailAlwaysTool, StepKind.Tool, "ConvertAsync:1/fail_always:1"),
        }));
        var convert = root.Children.Single(c => c.Name == McpTestServer.ConvertUnitsTool);
        var fail = root.Children.Single(c => c.Name == McpTestServer.FailAlwaysTool);
        Assert.Multiple(() =>
        {
            Assert.That(convert.Exception, Is.Null);
            Assert.That(convert.Result, Is.EqualTo("42 km = 26.098 mi"));
            Assert.That(fail.Succeeded, Is.False, "an MCP error result is a failed call");
        });

        var messages = _server.Requests[1].ToolMessages;
        Assert.That(messages.Select(m => m.ToolCallId), Is.EqualTo(new[] { "call_convert", "call_fail" }));
        Assert.That(messages[0].Content, Is.EqualTo("42 km = 26.098 mi"), "the plain text, not the TextContent's JSON");
        Assert.That(messages[1].Content, Does.StartWith("Error: ").And.Contain(McpTestServer.FailAlwaysTool).And.Not.Contain("isError").And.Not.Contain("$type"));
    }

    // Answers a sub-agent's request with a wine for the dish it asks about, whichever of the parallel requests comes first.
    private static string WineFor(OpenAIWireServer.RecordedRequest request) => $"A wine for {(string?)request.Messages[1]["content"]}.";

    private (Runtime Runtime, Kitchen Kitchen) Open(Action<RuntimeOptions>? configure = null)
    {
        var options = new RuntimeOptions { ChatClient = RuntimeOptions.CreateOpenAIClient("sk-test", _server.BaseUrl) };
        var converted = _converted;
        options.Tools.Add(AIFunctionFactory.Create(
            (double amount, string from, string to) =>
            {
                converted.Enqueue($"{amount} {from}->{to}");
                return $"{amount * 2} {to}";
            },
            "convert_units",
            "Converts an amount between units."));
        configure?.Invoke(options);
        return (new Runtime(options), Steps.Create<Kitchen>());
    }
}
