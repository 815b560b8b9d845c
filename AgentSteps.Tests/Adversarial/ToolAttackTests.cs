using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace AgentSteps.Tests;

/// <summary>Hostile model output and faults against tool calling: step tools, external tools, approvals and unions.</summary>
[NonParallelizable]
public class ToolAttackTests
{
    // Not shaped like any key pattern: only the registration (RuntimeOptions.CreateOpenAIClient) can redact it.
    private const string Secret = "zq9PLAINsecretVALUE77xy";

    public enum Spice
    {
        Salt,
        Pepper,
    }

    public record Basket(List<string> Items, Spice? Extra);

    public record Plan(string Dish);

    [JsonDerivedType(typeof(Serve))]
    [JsonDerivedType(typeof(Discard))]
    public abstract record Verdict;

    public sealed record Serve(string Dish) : Verdict;

    public sealed record Discard(string Reason) : Verdict;

    public abstract class Kitchen
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public Func<string, CancellationToken, Task>? WaitHook { get; set; }

        [Step, Description("Counts portions.")]
        public virtual int Count([System.ComponentModel.DataAnnotations.Range(1, 10)] int n)
        {
            Calls.Enqueue("count:" + n);
            return n;
        }

        [Step, Description("Seasons the dish.")]
        public virtual string Season(Spice spice, string? note)
        {
            Calls.Enqueue("season:" + spice + ":" + (note ?? "null"));
            return "seasoned";
        }

        [Step, Description("Fills a basket.")]
        public virtual string Fill(Basket basket, int[] counts, IReadOnlyList<long> weights)
        {
            Calls.Enqueue("fill:" + string.Join(",", basket.Items) + ":" + basket.Extra + ":" + string.Join(",", counts) + ":" + string.Join(",", weights));
            return "filled";
        }

        [Step, Description("Tastes.")]
        public virtual string Taste(string dish)
        {
            Calls.Enqueue("taste:" + dish);
            return "tasty " + dish;
        }

        [Step, Description("Waits, then returns.")]
        public virtual async Task<string> WaitAsync(string tag, CancellationToken cancellationToken = default)
        {
            Calls.Enqueue("wait:" + tag);
            if (WaitHook is { } hook)
            {
                await hook(tag, cancellationToken);
            }

            return "waited " + tag;
        }

        [Step, Description("Fails with a secret in its message.")]
        public virtual string Leak(string what) =>
            throw new InvalidOperationException($"upstream refused {what} with key {Secret}", new InvalidOperationException("inner " + Secret));

        [Step, Description("Throws OperationCanceledException on its own.")]
        public virtual string GiveUp(string what) => throw new OperationCanceledException("gave up on " + what);

        [Step(RequiresApproval = true), Description("Orders.")]
        public virtual string Order(string item)
        {
            Calls.Enqueue("order:" + item);
            return "ordered " + item;
        }

        [Step, Description("Prepares the dish: tastes it and orders what is missing.")]
        public virtual string Prepare(string dish)
        {
            Calls.Enqueue("prepare:" + dish);
            return Taste(dish) + "; " + Order(dish + "-salt");
        }

        [Step]
        public virtual string NotOffered(string x)
        {
            Calls.Enqueue("notoffered:" + x);
            return x;
        }

        [Step(Model = "m", Tools = [nameof(Count), nameof(Season), nameof(Fill), nameof(Taste), nameof(WaitAsync), nameof(Leak), nameof(GiveUp), nameof(Order), nameof(Prepare)], MaxToolCalls = 6)]
        [Description("Plan the dinner with the tools.")]
        public abstract Task<Plan> PlanAsync(string request, CancellationToken cancellationToken = default);

        [Step(Model = "m", Tools = [nameof(Taste), nameof(Prepare), nameof(Count)], MaxToolCalls = 10)]
        [Description("Plan the dinner synchronously.")]
        public abstract Plan PlanSync(string request);

        [Step(Model = "m", Tools = [nameof(Taste)]), Description("Judge the dish.")]
        public abstract Task<Verdict> JudgeAsync(string dish);
    }

    public abstract class Agents
    {
        [Step(Model = "m", Tools = [nameof(Bob)], MaxLoops = 2), Description("Alice delegates to Bob.")]
        public abstract Task<string> Alice(string task, CancellationToken cancellationToken = default);

        [Step(Model = "m", Tools = [nameof(Alice)]), Description("Bob delegates to Alice.")]
        public abstract Task<string> Bob(string task, CancellationToken cancellationToken = default);
    }

    private const string PlanJson = """{"Dish":"soup"}""";

    private static (Runtime Runtime, Kitchen Kitchen) Open(IChatClient client, Action<RuntimeOptions>? configure = null)
    {
        var options = new RuntimeOptions { ChatClient = client };
        configure?.Invoke(options);
        return (new Runtime(options), Steps.Create<Kitchen>());
    }

    private static List<string> ToolResults(ScriptedChatClient client, int request) =>
        client.Requests[request].Messages.Last(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Select(r => (string)r.Result!).ToList();

    private static ChatResponse Calls(params FunctionCallContent[] calls) =>
        new(new ChatMessage(ChatRole.Assistant, [.. calls])) { FinishReason = ChatFinishReason.ToolCalls };

    private static FunctionCallContent Call(string id, string name, string json) =>
        FunctionCallContent.CreateFromParsedArguments(json, id, name, static j => JsonSerializer.Deserialize<Dictionary<string, object?>>(j, AIJsonUtilities.DefaultOptions));

    // ---- Arguments -----------------------------------------------------------------------------------------------

    [TestCase("Count", """{"n":99999999999}""", "n")]
    [TestCase("Count", """{"n":1.5}""", "n")]
    [TestCase("Count", """{"n":"3"}""", "n")]
    [TestCase("Count", """{"n":50}""", "n")]
    [TestCase("Count", """{"n":0}""", "n")]
    [TestCase("Count", """{"n":null}""", "n")]
    [TestCase("Count", """{}""", "n")]
    [TestCase("Count", """{"n":3,"extra":1}""", "extra")]
    [TestCase("Count", """{"N":3}""", "N")]
    [TestCase("Season", """{"spice":"Saffron","note":null}""", "spice")]
    [TestCase("Season", """{"spice":7,"note":null}""", "spice")]
    [TestCase("Season", """{"spice":1,"note":null}""", "spice")]
    [TestCase("Season", """{"spice":null,"note":null}""", "spice")]
    [TestCase("Season", """{"spice":"Salt","note":5}""", "note")]
    [TestCase("Fill", """{"basket":{"Items":null,"Extra":null},"counts":[],"weights":[]}""", "Items")]
    [TestCase("Fill", """{"basket":{"Items":["a"],"Extra":"Saffron"},"counts":[],"weights":[]}""", "Extra")]
    [TestCase("Fill", """{"basket":{"Items":["a"],"Extra":null},"counts":[1,null],"weights":[]}""", "counts")]
    [TestCase("Fill", """{"basket":{"Items":["a"],"Extra":null},"counts":[],"weights":[1e400]}""", "weights")]
    [TestCase("Fill", """{"basket":{"Items":["a"],"Extra":null,"Hack":1},"counts":[],"weights":[]}""", "Hack")]
    [TestCase("Fill", """{"basket":[],"counts":[],"weights":[]}""", "basket")]
    public async Task HostileArguments_GoBackAsErrorsNamingTheProblem_AndTheToolDoesNotRun(string tool, string json, string named)
    {
        var client = new ScriptedChatClient().EnqueueToolCall(tool, json).Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            Assert.That((await kitchen.PlanAsync("x")).Dish, Is.EqualTo("soup"));
        }

        Assert.That(kitchen.Calls, Is.Empty, "arguments that do not fit must never reach the step");
        var result = ToolResults(client, 1).Single();
        Assert.That(result, Does.StartWith("Error: ").And.Contain(named));
    }

    [Test]
    public async Task ValidArguments_OfNullableEnumRecordAndCollectionParameters_AreReadExactly()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(
                ("Season", """{"spice":"Pepper","note":null}"""),
                ("Fill", """{"basket":{"Items":["a","b"],"Extra":"Salt"},"counts":[1,2],"weights":[9007199254740993]}"""))
            .Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(kitchen.Calls, Is.EquivalentTo(new[] { "season:Pepper:null", "fill:a,b:Salt:1,2:9007199254740993" }));
        Assert.That(ToolResults(client, 1), Is.EqualTo(new[] { "seasoned", "filled" }));
    }

    [Test]
    public async Task DuplicateKeys_InToolArguments_AreNotSilentlyResolved()
    {
        // The structured output rejects a duplicate property; a tool call must not silently take one of the two values.
        var client = new ScriptedChatClient().EnqueueToolCall("Taste", """{"dish":"a","dish":"b"}""").Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        var result = ToolResults(client, 1).Single();
        Assert.That(
            kitchen.Calls.IsEmpty ? result : "ran with " + string.Join(",", kitchen.Calls),
            Does.StartWith("Error: "),
            "a duplicate key is either rejected, or the call runs with a value the model did not unambiguously send");
    }

    [Test]
    public async Task DeeplyNestedArguments_GoBackAsErrors_WithoutOverflow()
    {
        string deep = new string('[', 100_000) + new string(']', 100_000);
        string deep60 = string.Concat(Enumerable.Repeat("{\"a\":", 60)) + "1" + new string('}', 60);
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("Taste", "{\"dish\":" + deep + "}"), ("Fill", "{\"basket\":" + deep60 + ",\"counts\":[],\"weights\":[]}"))
            .Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(kitchen.Calls, Is.Empty);
        Assert.That(ToolResults(client, 1), Has.All.StartWith("Error: "));
        Assert.DoesNotThrow(() => runtime.ToJson());
    }

    [Test]
    public async Task ArgumentsBuiltByAClient_NestedPastEveryLimit_OrCyclic_GoBackAsErrors()
    {
        // A client may hand over arguments it built itself: nested dictionaries far deeper than any reader allows, and a cycle.
        var nested = new Dictionary<string, object?>();
        var cursor = nested;
        for (int i = 0; i < 5_000; i++)
        {
            var next = new Dictionary<string, object?>();
            cursor["a"] = next;
            cursor = next;
        }

        var cyclic = new Dictionary<string, object?>();
        cyclic["self"] = cyclic;
        var client = new ScriptedChatClient()
            .Enqueue(_ => Calls(
                new FunctionCallContent("c1", "Taste", new Dictionary<string, object?> { ["dish"] = nested }),
                new FunctionCallContent("c2", "Taste", cyclic)))
            .Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(kitchen.Calls, Is.Empty);
        Assert.That(ToolResults(client, 1), Has.Count.EqualTo(2).And.All.StartWith("Error: "));
        Assert.DoesNotThrow(() => runtime.ToJson());
        Assert.DoesNotThrow(() => runtime.FormatTree());
    }

    [Test]
    public async Task HugeArguments_AreRefused_AndTheTraceDoesNotKeepThemWhole()
    {
        string huge = new('x', 5_000_000);
        var client = new ScriptedChatClient().EnqueueToolCall("Taste", "{\"dish\":\"" + huge + "\"}").Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(kitchen.Calls, Is.Empty);
        Assert.That(ToolResults(client, 1).Single(), Does.StartWith("Error: the arguments are"));
        Assert.That(runtime.ToJson().Length, Is.LessThan(1_000_000), "the trace writes values with size caps");
        Assert.That(runtime.FormatTree().Length, Is.LessThan(1_000_000));
    }

    // ---- Names ---------------------------------------------------------------------------------------------------

    [TestCase("NotOffered")]
    [TestCase("PlanAsync")]
    [TestCase("PlanSync")]
    [TestCase("Serve")]
    [TestCase("Taste\n")]
    [TestCase(" Taste")]
    [TestCase("taste")]
    [TestCase("../Taste")]
    [TestCase("Taste\u0000")]
    [TestCase("Kitchen.Taste")]
    [TestCase("ToString")]
    [TestCase("get_Calls")]
    public async Task CallNamingAnythingButAnOfferedTool_RunsNothing_AndGoesBackAsUnknown(string name)
    {
        var client = new ScriptedChatClient().EnqueueToolCall(name, """{"dish":"a","request":"b","x":"c"}""").Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(kitchen.Calls, Is.Empty);
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "PlanAsync" }), "no recursion, no step outside Tools");
        Assert.That(ToolResults(client, 1).Single(), Does.StartWith("Error: there is no tool named"));
    }

    [Test]
    public async Task HugeToolName_IsTruncatedInTheError_AndInTheTrace()
    {
        string name = new('T', 3_000_000);
        var client = new ScriptedChatClient().EnqueueToolCall(name, "{}").Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(ToolResults(client, 1).Single().Length, Is.LessThan(2_000));
        Assert.That(runtime.ToJson().Length, Is.LessThan(1_000_000));
        Assert.That(runtime.FormatTree().Length, Is.LessThan(1_000_000));
    }

    // ---- Counts and ids ------------------------------------------------------------------------------------------

    [Test]
    public void HundredsOfCallsInOneReply_EndAtMaxToolCalls_BeforeAnyRuns()
    {
        var calls = Enumerable.Range(0, 500).Select(i => ("Taste", "{\"dish\":\"d" + i + "\"}")).ToArray();
        var client = new ScriptedChatClient().EnqueueToolCalls(calls).Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            var e = Assert.ThrowsAsync<MaxToolCallsExceededException>(() => kitchen.PlanAsync("x"));
            Assert.That(e!.MaxToolCalls, Is.EqualTo(6));
        }

        Assert.That(kitchen.Calls, Is.Empty);
    }

    [Test]
    public async Task DuplicateAndEmptyCallIds_AndAnIdReusedAcrossReplies_EachCallGetsItsOwnResult()
    {
        var client = new ScriptedChatClient()
            .Enqueue(_ => Calls(Call("dup", "Taste", """{"dish":"a"}"""), Call("dup", "Taste", """{"dish":"b"}"""), Call(string.Empty, "Taste", """{"dish":"c"}""")))
            .Enqueue(_ => Calls(Call("dup", "Taste", """{"dish":"d"}""")))
            .Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(kitchen.Calls, Is.EquivalentTo(new[] { "taste:a", "taste:b", "taste:c", "taste:d" }));
        Assert.That(ToolResults(client, 1), Is.EqualTo(new[] { "tasty a", "tasty b", "tasty c" }), "results in reply order");
        Assert.That(ToolResults(client, 2), Is.EqualTo(new[] { "tasty d" }));
        var keys = runtime.ExecutedSteps.Where(s => s.Name == "Taste").Select(s => s.Key).OrderBy(k => k, StringComparer.Ordinal);
        Assert.That(keys, Is.EqualTo(new[] { "PlanAsync:1/Taste:1", "PlanAsync:1/Taste:2", "PlanAsync:1/Taste:3", "PlanAsync:1/Taste:4" }));
    }

    [Test]
    public async Task ApprovalOfACallWithAnEmptyId_AsksTheHandler_AndRunsWhenApproved()
    {
        // Some OpenAI-compatible servers send tool calls without ids; approval must still be asked, not fail on the id.
        var asked = 0;
        var client = new ScriptedChatClient().Enqueue(_ => Calls(Call(string.Empty, "Order", """{"item":"salt"}"""))).Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client, o => o.ApprovalHandler = (_, _) =>
        {
            Interlocked.Increment(ref asked);
            return ValueTask.FromResult(true);
        });
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(asked, Is.EqualTo(1));
        Assert.That(kitchen.Calls, Is.EqualTo(new[] { "order:salt" }));
        Assert.That(ToolResults(client, 1).Single(), Is.EqualTo("ordered salt"));
    }

    // ---- Unions --------------------------------------------------------------------------------------------------

    [Test]
    public async Task Union_ReplyMixingAValidVariantWithRegularCalls_AnswersWithTheVariant_AndRunsNoTool()
    {
        var client = new ScriptedChatClient().EnqueueToolCalls(("Taste", """{"dish":"a"}"""), ("Serve", """{"Dish":"soup"}"""), ("Taste", """{"dish":"b"}"""));
        using var runtime = new Runtime(client);
        var kitchen = Steps.Create<Kitchen>();
        var verdict = await kitchen.JudgeAsync("soup");

        Assert.That(verdict, Is.EqualTo(new Serve("soup")));
        Assert.That(kitchen.Calls, Is.Empty);
    }

    [Test]
    public async Task Union_TwoVariantsInOneReply_AreCorrected_ThenOneIsAccepted()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("Serve", """{"Dish":"soup"}"""), ("Discard", """{"Reason":"cold"}"""))
            .EnqueueToolCall("Discard", """{"Reason":"cold","Extra":1}""")
            .EnqueueToolCall("Discard", """{"Reason":"cold"}""");
        using var runtime = new Runtime(client);
        var verdict = await Steps.Create<Kitchen>().JudgeAsync("soup");

        Assert.That(verdict, Is.EqualTo(new Discard("cold")));
        Assert.That(ToolResults(client, 1), Has.Count.EqualTo(2).And.All.Contain("exactly one"));
        Assert.That(ToolResults(client, 2).Single(), Does.Contain("Extra"));
    }

    [Test]
    public void Union_ModelThatNeverAnswers_EndsAtOutputRetriesOrMaxToolCalls()
    {
        var client = new ScriptedChatClient();
        for (int i = 0; i < 100; i++)
        {
            client.EnqueueToolCalls(("Serve", "{}"), ("Serve", "not json"));
        }

        using var runtime = new Runtime(client);
        Assert.ThrowsAsync<StepOutputException>(() => Steps.Create<Kitchen>().JudgeAsync("soup"));
        Assert.That(client.Remaining, Is.GreaterThan(90));
    }

    // ---- Secrets -------------------------------------------------------------------------------------------------

    private sealed class TextLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            lock (Lines)
            {
                Lines.Add(formatter(state, exception) + " | " + string.Join(";", fields.Select(f => f.Key + "=" + f.Value)) + " | " + exception);
            }
        }
    }

    private static void RegisterSecret() => _ = RuntimeOptions.CreateOpenAIClient(Secret, "http://127.0.0.1:9/v1");

    [Test]
    public async Task ToolThatThrowsWithARegisteredSecret_SecretNeverReachesTheModelLogsOrTrace()
    {
        RegisterSecret();
        var logger = new TextLogger();
        var function = AIFunctionFactory.Create(
            string (string city) => throw new InvalidOperationException("weather service said key=" + Secret + " and " + Secret), "weather", "Gets the weather.");
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("Leak", """{"what":"soup"}"""), ("weather", """{"city":"Oslo"}"""))
            .Enqueue(PlanJson);
        var options = new RuntimeOptions { ChatClient = client, Logger = logger };
        options.Tools.Add(function);
        var kitchen = Steps.Create<KitchenWithWeather>();
        using (var runtime = new Runtime(options))
        {
            await kitchen.PlanAsync("x");
            var everything = string.Join("\n", ToolResults(client, 1)) + "\n" + runtime.ToJson() + "\n" + runtime.FormatTree() + "\n" + string.Join("\n", logger.Lines) +
                             "\n" + string.Join("\n", client.Requests.SelectMany(r => r.Messages).Select(m => m.Text + string.Join(",", m.Contents.OfType<FunctionResultContent>().Select(c => c.Result))));
            Assert.That(everything, Does.Not.Contain(Secret));
            Assert.That(ToolResults(client, 1), Has.All.StartWith("Error: "));
        }
    }

    public abstract class KitchenWithWeather
    {
        [Step, Description("Fails with a secret in its message.")]
        public virtual string Leak(string what) =>
            throw new InvalidOperationException($"upstream refused {what} with key {Secret}", new InvalidOperationException("inner " + Secret));

        [Step(Model = "m", Tools = [nameof(Leak), "weather"]), Description("Plan with the weather.")]
        public abstract Task<Plan> PlanAsync(string request, CancellationToken cancellationToken = default);
    }

    [Test]
    public void ApprovalHandlerThatThrowsWithASecret_FailsTheStep_SecretNotInTrace()
    {
        RegisterSecret();
        var client = new ScriptedChatClient().EnqueueToolCall("Order", """{"item":"salt"}""").Enqueue(PlanJson);
        var logger = new TextLogger();
        var (runtime, kitchen) = Open(client, o =>
        {
            o.Logger = logger;
            o.ApprovalHandler = (_, _) => throw new InvalidOperationException("approval service rejected token " + Secret);
        });
        using (runtime)
        {
            Assert.ThrowsAsync<InvalidOperationException>(() => kitchen.PlanAsync("x"));
        }

        Assert.That(runtime.ToJson() + runtime.FormatTree() + string.Join("\n", logger.Lines), Does.Not.Contain(Secret));
        Assert.That(kitchen.Calls, Is.Empty);
    }

    // ---- Cancellation --------------------------------------------------------------------------------------------

    [Test]
    public async Task ToolThatThrowsOperationCanceled_WithoutCancellation_IsAnErrorForTheModel_AndTheStepGoesOn()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCall("GiveUp", """{"what":"a"}""")
            .EnqueueToolCalls(("GiveUp", """{"what":"b"}"""), ("Taste", """{"dish":"c"}"""))
            .Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        using (runtime)
        {
            Assert.That((await kitchen.PlanAsync("x")).Dish, Is.EqualTo("soup"));
        }

        Assert.That(ToolResults(client, 1).Single(), Is.EqualTo("Error: gave up on a"));
        Assert.That(ToolResults(client, 2), Is.EqualTo(new[] { "Error: gave up on b", "tasty c" }));
    }

    [Test]
    public async Task CancellationDuringParallelToolCalls_Propagates_NoHang_NoUnobservedExceptions()
    {
        var unobserved = new ConcurrentQueue<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) => unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            await RunCancelledParallelCallsAsync();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.That(unobserved, Is.Empty);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }
    }

    private static async Task RunCancelledParallelCallsAsync()
    {
        using var cts = new CancellationTokenSource();
        var started = new CountdownEvent(3);
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("WaitAsync", """{"tag":"a"}"""), ("WaitAsync", """{"tag":"b"}"""), ("WaitAsync", """{"tag":"c"}"""))
            .Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client);
        kitchen.WaitHook = async (tag, ct) =>
        {
            started.Signal();
            if (tag == "b")
            {
                throw new InvalidOperationException("b fails on its own");
            }

            await Task.Delay(Timeout.Infinite, ct);
        };
        using (runtime)
        {
            var plan = kitchen.PlanAsync("x", cts.Token);
            Assert.That(started.Wait(TimeSpan.FromSeconds(30)), Is.True, "all three calls start together");
            cts.Cancel();
            var finished = await Task.WhenAny(plan, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.That(finished, Is.SameAs(plan), "cancellation ends the step");
            Assert.That(plan.IsCanceled || plan.Exception?.InnerException is OperationCanceledException, Is.True, "the step ends cancelled: " + plan.Exception);
        }

        Assert.That(client.Requests, Has.Count.EqualTo(1), "no model call after cancellation");
        var waits = runtime.ExecutedSteps.Where(s => s.Name == "WaitAsync").ToList();
        Assert.That(waits, Has.Count.EqualTo(3));
        Assert.That(waits.All(w => w.Parent?.Name == "PlanAsync"), Is.True);
    }

    [Test]
    public async Task ApprovalHandlerThatHangs_EndsWhenTheStepIsCancelled_AndTheToolNeverRuns()
    {
        using var cts = new CancellationTokenSource();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new ScriptedChatClient().EnqueueToolCalls(("Order", """{"item":"a"}"""), ("Order", """{"item":"b"}""")).Enqueue(PlanJson);
        int waiting = 0;
        var (runtime, kitchen) = Open(client, o => o.ApprovalHandler = async (_, ct) =>
        {
            // The run asks one call at a time: the first waits here, the second waits for its turn; both must end.
            if (Interlocked.Increment(ref waiting) == 1)
            {
                asked.TrySetResult();
            }

            await Task.Delay(Timeout.Infinite, ct);
            return true;
        });
        using (runtime)
        {
            var plan = kitchen.PlanAsync("x", cts.Token);
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
            cts.Cancel();
            Assert.That(await Task.WhenAny(plan, Task.Delay(TimeSpan.FromSeconds(30))), Is.SameAs(plan));
            Assert.CatchAsync<OperationCanceledException>(() => plan);
        }

        Assert.That(kitchen.Calls, Is.Empty);
    }

    [Test]
    public void ApprovalHandlerThatThrowsOperationCanceled_OnItsOwn_InParallelCalls_KeepsItsException()
    {
        // Not a cancellation of the step: the handler's own failure, which must reach the caller as it was thrown.
        var client = new ScriptedChatClient().EnqueueToolCalls(("Order", """{"item":"a"}"""), ("Order", """{"item":"b"}""")).Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client, o => o.ApprovalHandler = (_, _) => throw new OperationCanceledException("the approver timed out"));
        using (runtime)
        {
            var e = Assert.CatchAsync<OperationCanceledException>(() => kitchen.PlanAsync("x"));
            Assert.That(e!.Message, Is.EqualTo("the approver timed out"));
        }

        Assert.That(kitchen.Calls, Is.Empty);
    }

    [Test]
    public void ApprovalHandlerThatThrowsOperationCanceled_OnItsOwn_InOneCall_KeepsItsException()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("Order", """{"item":"a"}""").Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client, o => o.ApprovalHandler = (_, _) => throw new OperationCanceledException("the approver timed out"));
        using (runtime)
        {
            var e = Assert.CatchAsync<OperationCanceledException>(() => kitchen.PlanAsync("x"));
            Assert.That(e!.Message, Is.EqualTo("the approver timed out"));
        }
    }

    [Test]
    public async Task ApprovalThatReturnsAfterTheRuntimeIsDisposed_TheCallCompletes_AndTheRunEnds()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new ScriptedChatClient().EnqueueToolCall("Order", """{"item":"a"}""").Enqueue(PlanJson);
        var observer = new EndObserver();
        var (runtime, kitchen) = Open(client, o =>
        {
            o.Observers.Add(observer);
            o.ApprovalHandler = async (_, _) =>
            {
                asked.TrySetResult();
                return await answer.Task;
            };
        });
        Task<Plan> plan;
        using (runtime)
        {
            // Started on the pool so this flow can dispose the runtime while the approval is pending.
            plan = Task.Run(() => kitchen.PlanAsync("x"));
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.That(observer.RunsCompleted, Is.EqualTo(0), "the run is not over while its step runs");
        answer.SetResult(true);
        Assert.That((await plan.WaitAsync(TimeSpan.FromSeconds(30))).Dish, Is.EqualTo("soup"));
        Assert.That(kitchen.Calls, Is.EqualTo(new[] { "order:a" }));
        Assert.That(observer.RunsCompleted, Is.EqualTo(1));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EquivalentTo(new[] { "Order", "PlanAsync" }));
    }

    [Test]
    public async Task AsyncLlmStep_WhoseSyncToolAwaitsApproval_ReturnsItsTaskToTheCaller_WithoutBlockingIt()
    {
        // The model's reply arrives synchronously (a cache, a replay, this script); the approval waits for a person. The
        // caller of an async step must get its task back rather than be blocked: a UI thread that shows the approval
        // dialog would otherwise never show it.
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new ScriptedChatClient().EnqueueToolCall("Order", """{"item":"a"}""").Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client, o => o.ApprovalHandler = async (_, _) =>
        {
            asked.TrySetResult();
            return await answer.Task;
        });
        using (runtime)
        {
            Task<Plan>? plan = null;
            using var returned = new ManualResetEventSlim();
            var flow = ExecutionContext.Capture()!;
            var thread = new Thread(() => ExecutionContext.Run(flow, _ =>
            {
                plan = kitchen.PlanAsync("x");
                returned.Set();
            }, null));
            thread.Start();
            await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
            bool returnedBeforeApproval = returned.Wait(TimeSpan.FromSeconds(10));
            answer.SetResult(true);
            thread.Join();
            Assert.That(returnedBeforeApproval, Is.True, "PlanAsync blocked its caller until the approval was answered");
            Assert.That((await plan!.WaitAsync(TimeSpan.FromSeconds(30))).Dish, Is.EqualTo("soup"));
        }

        Assert.That(kitchen.Calls, Is.EqualTo(new[] { "order:a" }));
    }

    private sealed class EndObserver : IRunObserver
    {
        private int _runs;

        public int RunsCompleted => Volatile.Read(ref _runs);

        public void OnStepStarted(ExecutedStep step)
        {
        }

        public void OnStepCompleted(ExecutedStep step)
        {
        }

        public void OnRunCompleted(Runtime run) => Interlocked.Increment(ref _runs);
    }

    // ---- Nesting, handoff and threads ----------------------------------------------------------------------------

    [Test]
    public async Task ToolStepThatCallsStepsFromCode_NestsThem_AndTheirCallsAreNotToolCalls()
    {
        // Prepare calls Order from code: Order requires approval only as a model's tool call, so nobody is asked.
        bool asked = false;
        var client = new ScriptedChatClient().EnqueueToolCall("Prepare", """{"dish":"soup"}""").Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client, o => o.ApprovalHandler = (_, _) =>
        {
            asked = true;
            return ValueTask.FromResult(false);
        });
        using (runtime)
        {
            await kitchen.PlanAsync("x");
        }

        Assert.That(asked, Is.False);
        Assert.That(ToolResults(client, 1).Single(), Is.EqualTo("tasty soup; ordered soup-salt"));
        var byKey = runtime.ExecutedSteps.ToDictionary(s => s.Key, s => s.Parent?.Key);
        Assert.That(byKey, Is.EqualTo(new Dictionary<string, string?>
        {
            ["PlanAsync:1"] = null,
            ["PlanAsync:1/Prepare:1"] = "PlanAsync:1",
            ["PlanAsync:1/Prepare:1/Taste:1"] = "PlanAsync:1/Prepare:1",
            ["PlanAsync:1/Prepare:1/Order:1"] = "PlanAsync:1/Prepare:1",
        }));
    }

    [Test]
    public void SyncLlmStepWithParallelSyncTools_UnderASynchronizationContextThatNeverRuns_DoesNotDeadlock()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("Taste", """{"dish":"a"}"""), ("Prepare", """{"dish":"b"}"""), ("Count", """{"n":2}"""))
            .EnqueueToolCall("Taste", """{"dish":"c"}""")
            .Enqueue(PlanJson);
        var (runtime, kitchen) = Open(client, o => o.ApprovalHandler = (_, _) => ValueTask.FromResult(true));
        Plan? plan = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(new NeverRunsContext());
            try
            {
                using (runtime)
                {
                    plan = kitchen.PlanSync("x");
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        Assert.That(thread.Join(TimeSpan.FromSeconds(60)), Is.True, "a sync step must not wait on a context it blocks");
        Assert.That(failure, Is.Null);
        Assert.That(plan!.Dish, Is.EqualTo("soup"));
        Assert.That(kitchen.Calls, Is.EquivalentTo(new[] { "taste:a", "prepare:b", "taste:b", "order:b-salt", "count:2", "taste:c" }));
    }

    private sealed class NeverRunsContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
            // Queued for a message loop that never runs, as a blocked UI thread's.
        }

        public override SynchronizationContext CreateCopy() => this;
    }

    [Test]
    public async Task ManyConcurrentRuns_OfOneWorkflow_WithParallelToolCalls_KeepKeysAndChildrenPerRun()
    {
        var kitchen = Steps.Create<Kitchen>();
        const int runs = 40;
        var approvals = 0;
        var tasks = Enumerable.Range(0, runs).Select(i => Task.Run(async () =>
        {
            var client = new ScriptedChatClient()
                .EnqueueToolCalls(("Taste", "{\"dish\":\"a" + i + "\"}"), ("Prepare", "{\"dish\":\"p" + i + "\"}"), ("Taste", "{\"dish\":\"b" + i + "\"}"))
                .EnqueueToolCall("Order", "{\"item\":\"o" + i + "\"}")
                .Enqueue(PlanJson);
            var options = new RuntimeOptions
            {
                ChatClient = client,
                ApprovalHandler = (request, _) =>
                {
                    Interlocked.Increment(ref approvals);
                    var call = (FunctionCallContent)request.ToolCall;
                    return ValueTask.FromResult(call.Name == "Order" && call.Arguments!["item"]!.ToString() == "o" + i);
                },
            };
            using var runtime = new Runtime(options);
            await kitchen.PlanAsync("run " + i);
            return (i, runtime, client);
        })).ToList();

        foreach (var (i, runtime, client) in await Task.WhenAll(tasks))
        {
            var byKey = runtime.ExecutedSteps.ToDictionary(s => s.Key, s => (s.Parent?.Key, string.Join(",", s.Arguments.Values)));
            Assert.That(byKey, Is.EqualTo(new Dictionary<string, (string?, string)>
            {
                ["PlanAsync:1"] = (null, "run " + i),
                ["PlanAsync:1/Taste:1"] = ("PlanAsync:1", "a" + i),
                ["PlanAsync:1/Prepare:1"] = ("PlanAsync:1", "p" + i),
                ["PlanAsync:1/Prepare:1/Taste:1"] = ("PlanAsync:1/Prepare:1", "p" + i),
                ["PlanAsync:1/Prepare:1/Order:1"] = ("PlanAsync:1/Prepare:1", "p" + i + "-salt"),
                ["PlanAsync:1/Taste:2"] = ("PlanAsync:1", "b" + i),
                ["PlanAsync:1/Order:1"] = ("PlanAsync:1", "o" + i),
            }), "run " + i);
            Assert.That(runtime.ExecutedSteps.All(s => s.Exception is null), Is.True, "run " + i);
            Assert.That(ToolResults(client, 2).Single(), Is.EqualTo("ordered o" + i));
        }

        Assert.That(approvals, Is.EqualTo(runs), "only the model's Order calls are approved, once per run");
    }

    [Test]
    public async Task MutualRecursionOfSubAgents_EndsAtMaxLoops_WithTheFailureSentBack()
    {
        // Alice -> Bob -> Alice -> Bob -> Alice (third entry, past MaxLoops = 2): the third is refused and the chain unwinds.
        var client = new ScriptedChatClient()
            .EnqueueToolCall("Bob", """{"task":"1"}""")
            .EnqueueToolCall("Alice", """{"task":"2"}""")
            .EnqueueToolCall("Bob", """{"task":"3"}""")
            .EnqueueToolCall("Alice", """{"task":"4"}""")
            .Enqueue("bob 2 gives up")
            .Enqueue("alice 2 done")
            .Enqueue("bob 1 done")
            .Enqueue("alice 1 done");
        using var runtime = new Runtime(client);
        var result = await Steps.Create<Agents>().Alice("start");

        Assert.That(result, Is.EqualTo("alice 1 done"));
        var third = runtime.ExecutedSteps.Single(s => s.Name == "Alice" && Equals(s.Arguments["task"], "4"));
        Assert.That(third.Exception, Is.InstanceOf<MaxLoopsExceededException>());
        Assert.That(third.Key, Is.EqualTo("Alice:1/Bob:1/Alice:1/Bob:1/Alice:1"));
        Assert.That(client.Requests, Has.Count.EqualTo(8));
        Assert.That(client.Requests[4].Messages[^1].Contents.OfType<FunctionResultContent>().Single().Result as string, Does.Contain("MaxLoops"));
    }

    // ---- Definitions ---------------------------------------------------------------------------------------------

    public abstract class UnionParameter
    {
        [Step, Description("Takes a verdict.")]
        public virtual string Apply(Verdict verdict) => "ok";

        [Step(Model = "m", Tools = [nameof(Apply)]), Description("Plan.")]
        public abstract Plan Go(string x);
    }

    public abstract class DictionaryParameter
    {
        [Step, Description("Takes a map.")]
        public virtual string Apply(Dictionary<string, int> map) => "ok";

        [Step(Model = "m", Tools = [nameof(Apply)]), Description("Plan.")]
        public abstract Plan Go(string x);
    }

    public abstract class ObjectParameter
    {
        [Step, Description("Takes anything.")]
        public virtual string Apply(object value) => "ok";

        [Step(Model = "m", Tools = [nameof(Apply)]), Description("Plan.")]
        public abstract Plan Go(string x);
    }

    public abstract class GenericTool
    {
        [Step, Description("Generic.")]
        public virtual string Apply<T>(T value) => "ok";

        [Step(Model = "m", Tools = [nameof(Apply)]), Description("Plan.")]
        public abstract Plan Go(string x);
    }

    public abstract class OutParameter
    {
        [Step, Description("Out.")]
        public virtual string Apply(string a, out int b)
        {
            b = 1;
            return a;
        }

        [Step(Model = "m", Tools = [nameof(Apply)]), Description("Plan.")]
        public abstract Plan Go(string x);
    }

    [JsonDerivedType(typeof(Box<int>))]
    [JsonDerivedType(typeof(Box<string>))]
    public abstract record Boxed;

    public sealed record Box<T>(T Value) : Boxed;

    public abstract class GenericVariants
    {
        [Step(Model = "m"), Description("Box.")]
        public abstract Boxed Go(string x);
    }

    [JsonDerivedType(typeof(Outer))]
    public abstract record Nested;

    public sealed record Outer(Verdict Inner) : Nested;

    public abstract class NestedUnion
    {
        [Step(Model = "m"), Description("Nest.")]
        public abstract Nested Go(string x);
    }

    [JsonDerivedType(typeof(Box<>))]
    public abstract record OpenBoxed;

    public abstract class OpenGenericVariant
    {
        [Step(Model = "m"), Description("Open.")]
        public abstract OpenBoxed Go(string x);
    }

    [TestCase(typeof(UnionParameter), "Apply")]
    [TestCase(typeof(DictionaryParameter), "Apply")]
    [TestCase(typeof(ObjectParameter), "Apply")]
    [TestCase(typeof(GenericTool), "Apply")]
    [TestCase(typeof(OutParameter), "Apply")]
    [TestCase(typeof(GenericVariants), "Box")]
    [TestCase(typeof(NestedUnion), "Outer")]
    [TestCase(typeof(OpenGenericVariant), "Box")]
    public void BadToolOrUnionDefinition_FailsAtCreate_NamingTheMember(Type workflow, string member)
    {
        var e = Assert.Throws<WorkflowDefinitionException>(() => Steps.Create(workflow));
        Assert.That(e!.Message, Does.Contain(member).And.Contain(workflow.Name + "."));
    }
}
