using System.Collections.Concurrent;
using System.Text.Json;

namespace AgentSteps.Tests.Tools;

public class StepToolTests
{
    public record RecipeSummary(string Title, int Minutes);

    public record OrderReceipt(int Items, string Status);

    public record MealPlan(string Dish, List<string> Steps);

    public abstract class KitchenAgent
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        [Step, Description("Searches the recipe book for recipes that match the query.")]
        public virtual Task<IReadOnlyList<RecipeSummary>> SearchRecipesAsync([Description("What to look for, such as 'soup'.")] string query, CancellationToken cancellationToken = default)
        {
            Calls.Enqueue("search:" + query);
            return Task.FromResult<IReadOnlyList<RecipeSummary>>([new RecipeSummary(query + " soup", 20)]);
        }

        [Step(RequiresApproval = true), Description("Orders missing ingredients from the grocery service.")]
        public virtual OrderReceipt OrderIngredients(List<string> items)
        {
            Calls.Enqueue("order:" + string.Join(",", items));
            return new OrderReceipt(items.Count, "ordered");
        }

        [Step(MaxLoops = 2), Description("Tastes the dish.")]
        public virtual string Taste(string dish)
        {
            Calls.Enqueue("taste:" + dish);
            return "tasty " + dish;
        }

        [Step, Description("Lights the oven.")]
        public virtual string LightOven(int degrees) => throw new InvalidOperationException($"the oven would not light at {degrees} degrees");

        [Step(Model = "gpt-4o-mini"), Description("You are a sommelier. Suggest a wine.")]
        public abstract string SuggestWine(string dish);

        public virtual string NotAStep(string value) => value;

        [Step(Model = "gpt-4o-mini", Tools = [nameof(SearchRecipesAsync), nameof(OrderIngredients), nameof(Taste), nameof(LightOven), nameof(SuggestWine)], MaxToolCalls = 6)]
        [Description("You plan dinners. Use the tools.")]
        public abstract Task<MealPlan> PlanDinnerAsync(string request, CancellationToken cancellationToken = default);
    }

    private const string Plan = """{"Dish":"soup","Steps":["boil"]}""";

    private static (Runtime Runtime, KitchenAgent Agent) Open(IChatClient client, Action<RuntimeOptions>? configure = null)
    {
        var options = new RuntimeOptions { ChatClient = client };
        configure?.Invoke(options);
        return (new Runtime(options), Steps.Create<KitchenAgent>());
    }

    [Test]
    public async Task ToolCall_RunsThroughTheProxy_AsAChildStepWithKeyArgumentsAndResult()
    {
        var client = new ScriptedChatClient().EnqueueToolCall(nameof(KitchenAgent.SearchRecipesAsync), """{"query":"leek"}""").Enqueue(Plan);
        var (runtime, agent) = Open(client);
        using (runtime)
        {
            var plan = await agent.PlanDinnerAsync("dinner for two");
            Assert.That(plan, Is.EqualTo(new MealPlan("soup", ["boil"])).Using<MealPlan>((a, b) => a.Dish == b.Dish && a.Steps.SequenceEqual(b.Steps)));
        }

        Assert.That(agent.Calls, Is.EqualTo(new[] { "search:leek" }));
        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(KitchenAgent.PlanDinnerAsync));
        var child = root.Children.Single();
        Assert.Multiple(() =>
        {
            Assert.That(child.Name, Is.EqualTo(nameof(KitchenAgent.SearchRecipesAsync)));
            Assert.That(child.Key, Is.EqualTo("PlanDinnerAsync:1/SearchRecipesAsync:1"));
            Assert.That(child.Parent, Is.SameAs(root));
            Assert.That(child.Arguments["query"], Is.EqualTo("leek"));
            Assert.That(child.Exception, Is.Null);
            Assert.That(child.Loop, Is.EqualTo(1));
            Assert.That(root.ModelCalls, Is.EqualTo(2));
        });

        // The follow-up request carries the call and its result under the same call id.
        var second = client.Requests[1].Messages;
        var call = second.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        var result = second.Where(m => m.Role == ChatRole.Tool).SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.That(result.CallId, Is.EqualTo(call.CallId));
        Assert.That(result.Result?.ToString(), Does.Contain("leek soup").And.Contain("20"));
        Assert.That(root.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single().CallId, Is.EqualTo(call.CallId));
    }

    [Test]
    public void Offer_DescribesEachStepTool_WithDescriptionParameterSchemaAndStrict()
    {
        var client = new ScriptedChatClient(Plan);
        var (runtime, agent) = Open(client);
        using (runtime)
        {
            _ = agent.PlanDinnerAsync("x").GetAwaiter().GetResult();
        }

        var tools = client.Requests[0].Options!.Tools!.OfType<AIFunctionDeclaration>().ToDictionary(t => t.Name);
        Assert.That(tools.Keys, Is.EquivalentTo(new[] { "SearchRecipesAsync", "OrderIngredients", "Taste", "LightOven", "SuggestWine" }));
        var search = tools["SearchRecipesAsync"];
        Assert.That(search, Is.Not.InstanceOf<AIFunction>(), "offered as a declaration, so a FunctionInvokingChatClient does not run it");
        Assert.That(search.Description, Is.EqualTo("Searches the recipe book for recipes that match the query."));
        var schema = search.JsonSchema;
        var properties = schema.GetProperty("properties");
        Assert.Multiple(() =>
        {
            Assert.That(properties.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "query" }), "the CancellationToken is left out");
            Assert.That(properties.GetProperty("query").GetProperty("type").GetString(), Is.EqualTo("string"));
            Assert.That(properties.GetProperty("query").GetProperty("description").GetString(), Is.EqualTo("What to look for, such as 'soup'."));
            Assert.That(schema.GetProperty("additionalProperties").GetBoolean(), Is.False);
            Assert.That(schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "query" }));
            Assert.That(search.AdditionalProperties["strict"], Is.EqualTo(true));
            Assert.That(tools["SuggestWine"].Description, Is.EqualTo("You are a sommelier. Suggest a wine."));
            Assert.That(tools["OrderIngredients"].JsonSchema.GetProperty("properties").GetProperty("items").GetProperty("type").GetString(), Is.EqualTo("array"));
        });
    }

    [Test]
    public async Task SeveralCallsInOneReply_RunConcurrently_EachUnderTheLlmStep_KeyedInReplyOrder()
    {
        // The first call waits until the second has started: they can only both finish if they run at once.
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("Taste", """{"dish":"a"}"""), ("Taste", """{"dish":"b"}"""))
            .Enqueue(Plan);
        var options = new RuntimeOptions { ChatClient = client };
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        options.Use(async (context, next) =>
        {
            if (context.Info.Name == "Taste")
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
        });
        var agent = Steps.Create<KitchenAgent>();
        using var runtime = new Runtime(options);
        await agent.PlanDinnerAsync("x");

        var root = runtime.ExecutedSteps.Single(s => s.Name == nameof(KitchenAgent.PlanDinnerAsync));
        var byKey = root.Children.ToDictionary(c => c.Key, c => c.Arguments["dish"]);
        Assert.That(byKey, Is.EqualTo(new Dictionary<string, object?> { ["PlanDinnerAsync:1/Taste:1"] = "a", ["PlanDinnerAsync:1/Taste:2"] = "b" }));
        var results = client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().ToList();
        Assert.That(results.Select(r => r.Result), Is.EqualTo(new[] { "tasty a", "tasty b" }));
        Assert.That(results.Select(r => r.CallId).Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public async Task ParallelCalls_KeepReplyOrder_InTheTreeAndInLoopCounts_HoweverTheyFinish()
    {
        // "a" finishes last: it waits until "b" has finished.
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("Taste", """{"dish":"a"}"""), ("Taste", """{"dish":"b"}"""))
            .Enqueue(Plan);
        var options = new RuntimeOptions { ChatClient = client };
        var secondDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        options.Use(async (context, next) =>
        {
            if (context.Info.Name != "Taste")
            {
                return await next(context);
            }

            if (Equals(context.Arguments[0], "a"))
            {
                await secondDone.Task.WaitAsync(TimeSpan.FromSeconds(30));
                return await next(context);
            }

            var result = await next(context);
            secondDone.TrySetResult();
            return result;
        });
        using var runtime = new Runtime(options);
        await Steps.Create<KitchenAgent>().PlanDinnerAsync("x");

        var tastes = runtime.ExecutedSteps.Where(s => s.Name == "Taste").ToList();
        Assert.That(tastes.Select(s => s.Arguments["dish"]), Is.EqualTo(new[] { "b", "a" }), "completion order: b first");
        Assert.That(tastes.Single(s => Equals(s.Arguments["dish"], "a")).Loop, Is.EqualTo(1));
        Assert.That(tastes.Single(s => Equals(s.Arguments["dish"], "b")).Loop, Is.EqualTo(2));
        var tree = runtime.FormatTree();
        Assert.That(tree.IndexOf("Taste #1", StringComparison.Ordinal), Is.LessThan(tree.IndexOf("Taste #2", StringComparison.Ordinal)));
    }

    [Test]
    public async Task ApprovalHandler_IsAskedOneCallAtATime_WhenCallsRunInParallel()
    {
        int inside = 0, most = 0;
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("OrderIngredients", """{"items":["a"]}"""), ("OrderIngredients", """{"items":["b"]}"""), ("OrderIngredients", """{"items":["c"]}"""))
            .Enqueue(Plan);
        var (runtime, agent) = Open(client, o => o.ApprovalHandler = async (_, _) =>
        {
            int now = Interlocked.Increment(ref inside);
            InterlockedMax(ref most, now);
            await Task.Yield();
            Interlocked.Decrement(ref inside);
            return true;
        });
        using (runtime)
        {
            await agent.PlanDinnerAsync("x");
        }

        Assert.That(agent.Calls, Has.Count.EqualTo(3));
        Assert.That(most, Is.EqualTo(1));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    [Test]
    public async Task ToolThatThrows_SendsItsMessageBack_AndTheStepGoesOn()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("LightOven", """{"degrees":500}""").Enqueue(Plan);
        var (runtime, agent) = Open(client);
        using (runtime)
        {
            await agent.PlanDinnerAsync("x");
        }

        var oven = runtime.ExecutedSteps.Single(s => s.Name == "LightOven");
        Assert.That(oven.Exception, Is.InstanceOf<InvalidOperationException>());
        var result = (string)client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result!;
        Assert.That(result, Is.EqualTo("Error: the oven would not light at 500 degrees"));
        Assert.That(result, Does.Not.Contain("at AgentSteps").And.Not.Contain("InvalidOperationException"));
    }

    [Test]
    public async Task UnknownTool_AndArgumentsThatDoNotFit_GoBackAsErrors_WithoutRunningAnything()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("BakeCake", "{}"), ("Taste", """{"dish":5}"""), ("Taste", """{"food":"x"}"""), ("Taste", "not json"))
            .Enqueue(Plan);
        var (runtime, agent) = Open(client);
        using (runtime)
        {
            await agent.PlanDinnerAsync("x");
        }

        Assert.That(agent.Calls, Is.Empty);
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { nameof(KitchenAgent.PlanDinnerAsync) }));
        var results = client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Select(r => (string)r.Result!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(results[0], Does.StartWith("Error: there is no tool named 'BakeCake'").And.Contain("SearchRecipesAsync").And.Contain("Taste"));
            Assert.That(results[1], Does.StartWith("Error: the arguments do not fit the parameters of 'Taste'").And.Contain("dish"));
            Assert.That(results[2], Does.StartWith("Error: the arguments do not fit").And.Contain("food"));
            Assert.That(results[3], Does.StartWith("Error: the arguments are not valid JSON"));
        });
    }

    [Test]
    public void ModelThatKeepsCallingTools_EndsAtMaxToolCalls()
    {
        var client = new ScriptedChatClient();
        client.Enqueue(_ => ToolReply("Taste", """{"dish":"a"}"""));
        for (int i = 0; i < 100; i++)
        {
            client.Enqueue(request => ToolReply("SearchRecipesAsync", """{"query":"more"}"""));
        }

        var (runtime, agent) = Open(client);
        using (runtime)
        {
            var e = Assert.ThrowsAsync<MaxToolCallsExceededException>(() => agent.PlanDinnerAsync("x"));
            Assert.That(e!.MaxToolCalls, Is.EqualTo(6));
            Assert.That(e.Message, Does.Contain("PlanDinnerAsync").And.Contain("MaxToolCalls = 6"));
        }

        Assert.That(agent.Calls, Has.Count.EqualTo(6), "the calls within the limit ran; the one past it did not");
        Assert.That(runtime.ExecutedSteps.Single(s => s.Name == nameof(KitchenAgent.PlanDinnerAsync)).Exception, Is.InstanceOf<MaxToolCallsExceededException>());
    }

    [Test]
    public async Task MaxLoopsOnAToolStep_AppliesToItsCalls_AndTheFailureGoesBackToTheModel()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("Taste", """{"dish":"a"}"""), ("Taste", """{"dish":"b"}"""))
            .EnqueueToolCall("Taste", """{"dish":"c"}""")
            .Enqueue(Plan);
        var (runtime, agent) = Open(client, o => o.Tools.Clear());
        using (runtime)
        {
            await agent.PlanDinnerAsync("x");
        }

        Assert.That(agent.Calls, Is.EqualTo(new[] { "taste:a", "taste:b" }).Or.EqualTo(new[] { "taste:b", "taste:a" }));
        var third = runtime.ExecutedSteps.Single(s => s.Name == "Taste" && Equals(s.Arguments["dish"], "c"));
        Assert.That(third.Exception, Is.InstanceOf<MaxLoopsExceededException>());
        var result = (string)client.Requests[2].Messages.Last(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result!;
        Assert.That(result, Does.StartWith("Error: ").And.Contain("MaxLoops = 2"));
    }

    [Test]
    public async Task Approval_Granted_RunsTheTool_WithTheCallShownToTheHandler()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("OrderIngredients", """{"items":["leek","salt"]}""").Enqueue(Plan);
        var asked = new List<ToolApprovalRequestContent>();
        var (runtime, agent) = Open(client, o => o.ApprovalHandler = (request, _) =>
        {
            asked.Add(request);
            return ValueTask.FromResult(true);
        });
        using (runtime)
        {
            await agent.PlanDinnerAsync("x");
        }

        Assert.That(agent.Calls, Is.EqualTo(new[] { "order:leek,salt" }));
        var call = (FunctionCallContent)asked.Single().ToolCall;
        Assert.That(call.Name, Is.EqualTo("OrderIngredients"));
        Assert.That(call.Arguments!["items"]!.ToString(), Does.Contain("leek"));
        Assert.That(asked.Single().RequestId, Is.EqualTo(call.CallId));
    }

    [Test]
    public async Task Approval_Denied_DoesNotRun_IsRecorded_AndTheModelIsTold()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("OrderIngredients", """{"items":["caviar"]}""").Enqueue(Plan);
        var (runtime, agent) = Open(client, o => o.ApprovalHandler = (_, _) => ValueTask.FromResult(false));
        using (runtime)
        {
            await agent.PlanDinnerAsync("x");
        }

        Assert.That(agent.Calls, Is.Empty);
        var order = runtime.ExecutedSteps.Single(s => s.Name == "OrderIngredients");
        Assert.That(order.Exception, Is.InstanceOf<ToolCallDeniedException>());
        Assert.That(((ToolCallDeniedException)order.Exception!).ToolName, Is.EqualTo("OrderIngredients"));
        var result = (string)client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result!;
        Assert.That(result, Does.Contain("not approved"));
    }

    [Test]
    public void Approval_WithNoHandler_FailsTheStep_NamingTheOption()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("OrderIngredients", """{"items":["caviar"]}""").Enqueue(Plan);
        var (runtime, agent) = Open(client);
        using (runtime)
        {
            var e = Assert.ThrowsAsync<InvalidOperationException>(() => agent.PlanDinnerAsync("x"));
            Assert.That(e!.Message, Does.Contain("RuntimeOptions.ApprovalHandler").And.Contain("OrderIngredients"));
        }

        Assert.That(agent.Calls, Is.Empty);
    }

    [Test]
    public void Approval_HandlerThatThrows_FailsTheStep_WithItsException()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("OrderIngredients", """{"items":["caviar"]}""").Enqueue(Plan);
        var (runtime, agent) = Open(client, o => o.ApprovalHandler = (_, _) => throw new TimeoutException("nobody answered"));
        using (runtime)
        {
            var e = Assert.ThrowsAsync<TimeoutException>(() => agent.PlanDinnerAsync("x"));
            Assert.That(e!.Message, Is.EqualTo("nobody answered"));
        }

        Assert.That(agent.Calls, Is.Empty);
    }

    [Test]
    public void CallFromCode_OfAStepThatRequiresApproval_IsNotAsked()
    {
        bool asked = false;
        var (runtime, agent) = Open(new ScriptedChatClient(), o => o.ApprovalHandler = (_, _) =>
        {
            asked = true;
            return ValueTask.FromResult(false);
        });
        using (runtime)
        {
            Assert.That(agent.OrderIngredients(["salt"]).Status, Is.EqualTo("ordered"));
        }

        Assert.That(asked, Is.False);
    }

    [Test]
    public async Task LlmStepAsTool_RunsAsASubAgent_RecordedUnderTheCaller()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCall("SuggestWine", """{"dish":"soup"}""")
            .Enqueue("A dry white.")
            .Enqueue(Plan);
        var (runtime, agent) = Open(client);
        using (runtime)
        {
            await agent.PlanDinnerAsync("x");
        }

        var wine = runtime.ExecutedSteps.Single(s => s.Name == "SuggestWine");
        Assert.That(wine.Kind, Is.EqualTo(StepKind.Llm));
        Assert.That(wine.Parent!.Name, Is.EqualTo(nameof(KitchenAgent.PlanDinnerAsync)));
        Assert.That(wine.Result, Is.EqualTo("A dry white."));
        Assert.That(client.Requests[1].SystemPrompt, Is.EqualTo("You are a sommelier. Suggest a wine."));
        Assert.That(client.Requests[2].Messages[^1].Contents.OfType<FunctionResultContent>().Single().Result, Is.EqualTo("A dry white."));
    }

    [Test]
    public void CancellationToken_OfTheLlmStep_FlowsIntoTheStepTool()
    {
        using var cts = new CancellationTokenSource();
        bool cancelledWithTheCaller = false;
        var client = new ScriptedChatClient().EnqueueToolCall("SearchRecipesAsync", """{"query":"a"}""").Enqueue(Plan);
        var options = new RuntimeOptions { ChatClient = client };
        options.Use(async (context, next) =>
        {
            if (context.Info.Name == "SearchRecipesAsync")
            {
                // The tool's token is the LLM step's, linked with the run's: the caller's cancellation reaches it.
                await cts.CancelAsync();
                cancelledWithTheCaller = context.CancellationToken.IsCancellationRequested;
            }

            return await next(context);
        });
        using var runtime = new Runtime(options);
        Assert.CatchAsync<OperationCanceledException>(() => Steps.Create<KitchenAgent>().PlanDinnerAsync("x", cts.Token));
        Assert.That(cancelledWithTheCaller, Is.True);
    }

    [Test]
    public async Task Observers_SeeToolCallsStartAndEnd_UnderTheLlmStep()
    {
        var observer = new RecordingObserver();
        var client = new ScriptedChatClient().EnqueueToolCall("Taste", """{"dish":"a"}""").Enqueue(Plan);
        var (runtime, agent) = Open(client, o => o.Observers.Add(observer));
        using (runtime)
        {
            await agent.PlanDinnerAsync("x");
        }

        Assert.That(observer.Events, Is.EqualTo(new[] { "start PlanDinnerAsync", "start Taste", "end Taste", "end PlanDinnerAsync" }));
    }

    public abstract class Notifier
    {
        public List<string> Sent { get; } = [];

        [Step, Description("Sends a note.")]
        public virtual Task SendAsync(string note)
        {
            Sent.Add(note);
            return Task.CompletedTask;
        }

        [Step(Model = "m", Tools = [nameof(SendAsync)])]
        public abstract string Notify(string who);
    }

    [Test]
    public void ToolThatReturnsNothing_TellsTheModelItRan()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("SendAsync", """{"note":"hi"}""").Enqueue("sent");
        using var runtime = new Runtime(client);
        var notifier = Steps.Create<Notifier>();
        Assert.That(notifier.Notify("ada"), Is.EqualTo("sent"));
        Assert.That(notifier.Sent, Is.EqualTo(new[] { "hi" }));
        Assert.That(client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result, Is.EqualTo("Done."));
    }

    public abstract class NoArguments
    {
        [Step, Description("Counts the pantry.")]
        public virtual Task<int> CountAsync(CancellationToken cancellationToken = default) => Task.FromResult(7);

        [Step(Model = "m", Tools = [nameof(CountAsync)])]
        public abstract string Go(string request);
    }

    [Test]
    public void StepToolWithNoArguments_IsOfferedWithAnEmptyStrictSchema_AndRuns()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("CountAsync", "{}").Enqueue("seven");
        using var runtime = new Runtime(client);
        Assert.That(Steps.Create<NoArguments>().Go("x"), Is.EqualTo("seven"));

        var schema = ((AIFunctionDeclaration)client.Requests[0].Options!.Tools!.Single()).JsonSchema;
        Assert.That(schema.GetProperty("properties").EnumerateObject(), Is.Empty);
        Assert.That(schema.GetProperty("additionalProperties").GetBoolean(), Is.False);
        Assert.That(client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result, Is.EqualTo("7"));
    }

    public abstract class Documented
    {
        /// <summary>Counts the jars in the pantry.</summary>
        /// <param name="shelf">The shelf to count.</param>
        /// <returns>The number of jars.</returns>
        [Step]
        public virtual int CountJars(string shelf) => 3;

        [Step(Model = "m", Tools = [nameof(CountJars)]), Description("Count.")]
        public abstract string Go(string request);
    }

    [Test]
    public void StepToolWithoutDescription_IsDescribedByItsXmlDocSummary()
    {
        var client = new ScriptedChatClient("done");
        using var runtime = new Runtime(client);
        Steps.Create<Documented>().Go("x");

        var tool = (AIFunctionDeclaration)client.Requests[0].Options!.Tools!.Single();
        Assert.That(tool.Description, Is.EqualTo("Counts the jars in the pantry."));
    }

    private static ChatResponse ToolReply(string name, string json) =>
        new(new ChatMessage(ChatRole.Assistant, [FunctionCallContent.CreateFromParsedArguments(json, "call_" + Guid.NewGuid().ToString("N"), name,
            static j => JsonSerializer.Deserialize<Dictionary<string, object?>>(j, AIJsonUtilities.DefaultOptions))]))
        {
            FinishReason = ChatFinishReason.ToolCalls,
        };

    private sealed class RecordingObserver : IRunObserver
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public void OnStepStarted(ExecutedStep step) => Events.Enqueue("start " + step.Name);

        public void OnStepCompleted(ExecutedStep step) => Events.Enqueue("end " + step.Name);

        public void OnRunCompleted(Runtime runtime)
        {
        }
    }
}
