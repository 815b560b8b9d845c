namespace AgentSteps.Tests.Tools;

public class ExternalToolTests
{
    public record Plan(string Dish);

    public abstract class Cook
    {
        [Step, Description("Weighs flour.")]
        public virtual int Weigh(string what) => 100;

        public virtual string Helper() => "not a step";

        [Step(Model = "m", Tools = ["convert_units", nameof(Weigh)])]
        [Description("Plan with conversions.")]
        public abstract Plan PlanWithConversions(string request);

        [Step(Model = "m", Tools = ["no_such_tool"])]
        public abstract Plan PlanWithMissingTool(string request);
    }

    private static AIFunction ConvertUnits(List<string> seen) => AIFunctionFactory.Create(
        (double amount, string from, string to) =>
        {
            lock (seen)
            {
                seen.Add($"{amount} {from}->{to}");
            }

            return $"{amount * 2} {to}";
        },
        "convert_units",
        "Converts an amount between units.");

    [Test]
    public void ExternalFunction_IsOfferedByName_RunsAndIsRecordedAsAToolStep()
    {
        var seen = new List<string>();
        var client = new ScriptedChatClient().EnqueueToolCall("convert_units", """{"amount":1.5,"from":"cup","to":"dl"}""").Enqueue("""{"Dish":"cake"}""");
        var options = new RuntimeOptions { ChatClient = client };
        options.Tools.Add(ConvertUnits(seen));
        using (var runtime = new Runtime(options))
        {
            Assert.That(Steps.Create<Cook>().PlanWithConversions("cake").Dish, Is.EqualTo("cake"));
            var call = runtime.ExecutedSteps.Single(s => s.Name == "convert_units");
            Assert.Multiple(() =>
            {
                Assert.That(call.Kind, Is.EqualTo(StepKind.Tool));
                Assert.That(call.Parent!.Name, Is.EqualTo("PlanWithConversions"));
                Assert.That(call.Key, Is.EqualTo("PlanWithConversions:1/convert_units:1"));
                Assert.That(call.Arguments["from"], Is.EqualTo("cup"));
                Assert.That(call.Result, Is.EqualTo("3 dl"));
            });
        }

        Assert.That(seen, Is.EqualTo(new[] { "1.5 cup->dl" }));
        var offered = client.Requests[0].Options!.Tools!.Single(t => t.Name == "convert_units");
        Assert.That(offered, Is.Not.InstanceOf<AIFunction>(), "offered as a declaration only, so no FunctionInvokingChatClient runs it a second time");
        Assert.That(((AIFunctionDeclaration)offered).AdditionalProperties["strict"], Is.EqualTo(false));
        Assert.That(client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result, Is.EqualTo("3 dl"));
    }

    [Test]
    public void ExternalFunction_WithArgumentsThatDoNotFitItsSchema_IsNotCalled_AndTheModelIsTold()
    {
        var seen = new List<string>();
        var client = new ScriptedChatClient().EnqueueToolCall("convert_units", """{"amount":"lots","from":"cup"}""").Enqueue("""{"Dish":"cake"}""");
        var options = new RuntimeOptions { ChatClient = client };
        options.Tools.Add(ConvertUnits(seen));
        using (new Runtime(options))
        {
            Steps.Create<Cook>().PlanWithConversions("cake");
        }

        Assert.That(seen, Is.Empty);
        var result = (string)client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result!;
        Assert.That(result, Does.StartWith("Error: the arguments do not fit the parameters of 'convert_units'"));
    }

    [Test]
    public void ApprovalRequiredFunction_IsAskedThroughTheApprovalHandler()
    {
        var seen = new List<string>();
        var client = new ScriptedChatClient().EnqueueToolCall("convert_units", """{"amount":1,"from":"cup","to":"dl"}""").Enqueue("""{"Dish":"cake"}""");
        var options = new RuntimeOptions { ChatClient = client, ApprovalHandler = (_, _) => ValueTask.FromResult(false) };
        options.Tools.Add(new ApprovalRequiredAIFunction(ConvertUnits(seen)));
        using (var runtime = new Runtime(options))
        {
            Steps.Create<Cook>().PlanWithConversions("cake");
            Assert.That(runtime.ExecutedSteps.Single(s => s.Name == "convert_units").Exception, Is.InstanceOf<ToolCallDeniedException>());
        }

        Assert.That(seen, Is.Empty);
    }

    [Test]
    public void ToolNameThatMatchesNothing_FailsAtTheFirstCall_WithTheNamesThatExist()
    {
        var client = new ScriptedChatClient("""{"Dish":"x"}""");
        var options = new RuntimeOptions { ChatClient = client };
        options.Tools.Add(ConvertUnits([]));
        using var runtime = new Runtime(options);
        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<Cook>().PlanWithMissingTool("x"));
        Assert.That(e!.Message, Does.Contain("no_such_tool").And.Contain("'convert_units'").And.Contain("RuntimeOptions.Tools").And.Contain("'Weigh'"));
        Assert.That(client.Requests, Is.Empty, "no model call was made");
    }

    public abstract class OffersNonStep
    {
        public virtual string Helper() => "x";

        [Step(Model = "m", Tools = [nameof(Helper)])]
        public abstract string Go(string input);
    }

    public abstract class OffersOverload
    {
        [Step]
        public virtual string Look(string a) => a;

        [Step]
        public virtual string Look(int a) => "n";

        [Step(Model = "m", Tools = [nameof(Look)])]
        public abstract string Go(string input);
    }

    public abstract class OffersItself
    {
        [Step(Model = "m", Tools = [nameof(Go)])]
        public abstract string Go(string input);
    }

    public abstract class CodeStepWithTools
    {
        [Step]
        public virtual string Look(string a) => a;

        [Step(Tools = [nameof(Look)])]
        public virtual string Go(string input) => input;
    }

    public abstract class OffersStreamingStep
    {
        [Step]
        public virtual async IAsyncEnumerable<int> Count()
        {
            await Task.Yield();
            yield return 1;
        }

        [Step(Model = "m", Tools = [nameof(Count)])]
        public abstract string Go(string input);
    }

    [TestCase(typeof(OffersNonStep), "Helper", "is not a step")]
    [TestCase(typeof(OffersStreamingStep), "Count", "streams its result")]
    [TestCase(typeof(OffersOverload), "Look", "2 steps of that name")]
    [TestCase(typeof(OffersItself), "Go", "offers itself as a tool but sets no MaxLoops")]
    [TestCase(typeof(CodeStepWithTools), "Go", "only an LLM step offers tools")]
    public void MisnamedTools_FailAtCreate_NamingTheMemberAndTheFix(Type workflow, string member, string problem)
    {
        var e = Assert.Throws<WorkflowDefinitionException>(() => Steps.Create(workflow));
        Assert.That(e!.Message, Does.Contain(member).And.Contain(problem));
    }

    public abstract class Researcher
    {
        [Step(Model = "m", MaxLoops = 2, Tools = [nameof(Research)]), Description("Research; split the question and research the parts.")]
        public abstract string Research(string question);
    }

    [Test]
    public void StepThatOffersItself_RecursesThroughTheModel_UntilMaxLoops()
    {
        using var runtime = new Runtime(new SampleChatClient());
        Assert.That(Steps.Create<Researcher>().Research("why"), Does.StartWith("Sample reply"));

        var steps = runtime.ExecutedSteps.Where(s => s.Name == "Research").ToList();
        Assert.That(steps, Has.Count.EqualTo(3));
        var deepest = steps.Single(s => s.Exception is MaxLoopsExceededException);
        Assert.That(deepest.Key, Is.EqualTo("Research:1/Research:1/Research:1"));
        Assert.That(deepest.Parent!.Exception, Is.Null, "the sub-agent was told and answered");
    }

    public abstract class Delegators
    {
        [Step(Model = "m", Tools = [nameof(Second)])]
        public abstract string First(string task);

        [Step(Model = "m", Tools = [nameof(First)])]
        public abstract string Second(string task);
    }

    public abstract class BoundedDelegators
    {
        [Step(Model = "m", Tools = [nameof(Second)])]
        public abstract string First(string task);

        [Step(Model = "m", MaxLoops = 2, Tools = [nameof(First)])]
        public abstract string Second(string task);
    }

    [Test]
    public void LlmStepsThatOfferEachOther_WithoutMaxLoops_FailAtCreate()
    {
        var e = Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<Delegators>());
        Assert.That(e!.Message, Does.Contain("Delegators.First -> Delegators.Second -> Delegators.First").And.Contain("MaxLoops"));
    }

    [Test]
    public void LlmStepsThatOfferEachOther_WithMaxLoops_DelegateUntilTheBound()
    {
        using var runtime = new Runtime(new SampleChatClient());
        Assert.That(Steps.Create<BoundedDelegators>().First("x"), Does.StartWith("Sample reply"));
        Assert.That(runtime.ExecutedSteps.Count(s => s.Exception is MaxLoopsExceededException), Is.EqualTo(1));
    }

    [Test]
    public void MaxToolCalls_BelowOne_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxToolCalls = 0 });
    }

    [Test]
    public void FunctionInvokingClient_OfTheUser_PassesCallsBack_SoEachToolRunsOnce()
    {
        var seen = new List<string>();
        var scripted = new ScriptedChatClient().EnqueueToolCall("convert_units", """{"amount":1,"from":"cup","to":"dl"}""").Enqueue("""{"Dish":"cake"}""");
        var client = scripted.AsBuilder().UseFunctionInvocation().Build();
        var options = new RuntimeOptions { ChatClient = client };
        options.Tools.Add(ConvertUnits(seen));
        using (var runtime = new Runtime(options))
        {
            Steps.Create<Cook>().PlanWithConversions("cake");
            Assert.That(runtime.ExecutedSteps.Count(s => s.Name == "convert_units"), Is.EqualTo(1));
        }

        Assert.That(seen, Has.Count.EqualTo(1));
    }
}
