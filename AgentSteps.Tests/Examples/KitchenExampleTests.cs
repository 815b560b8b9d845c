using System.Text.RegularExpressions;
using AgentSteps.Examples.Kitchen;

namespace AgentSteps.Tests;

[NonParallelizable]
public class KitchenExampleTests
{
    private static readonly string[] s_tools = ["SearchRecipesAsync", "OrderIngredientsAsync", "SuggestWineAsync", "convert_units"];

    [Test]
    public void KitchenCommand_WithNoModelConfigured_SaysItUsesTheSampleModel_AndShowsTheToolCallsUnderTheLlmStep()
    {
        var (exitCode, text) = RunOffline(ApprovalMode.Approve, console: null);

        Assert.That(exitCode, Is.Zero, text);
        Assert.That(text, Does.StartWith("No model configured: using the offline sample model"));
        Assert.That(text, Does.Contain("Set OPENAI_API_KEY"));
        Assert.That(text, Does.Match(@"(?m)^└─ PlanDinnerAsync #1 \([^)]*sample \(for gpt-4o-mini\)\)$"), "the LLM step is the last child of the root");
        foreach (var tool in s_tools)
        {
            // Indented one level below PlanDinnerAsync, which is the root's last child: its children start with three spaces.
            Assert.That(text, Does.Match($@"(?m)^   [├└]─ {Regex.Escape(tool)} #1 \("), $"{tool} is a child of PlanDinnerAsync in the tree");
        }

        Assert.That(text, Does.Match(@"(?m)^├─ DecideAsync #1 "));
        Assert.That(text, Does.Contain("PlanDinnerAsync:1/convert_units:1: 1.5 cup = 354.9 ml"), "the external function ran with the sample's arguments");
        Assert.That(text, Does.Contain("PlanDinnerAsync:1/SuggestWineAsync:1: {\"wine\":\"Sample Wine\""), "the sub-agent answered");
    }

    [Test]
    public void KitchenCommand_PrintsTheUnionVariantTheModelChose_AndThePlan()
    {
        var (_, text) = RunOffline(ApprovalMode.Approve, console: null);

        Assert.That(text, Does.Contain("Decision: CookAtHome (dish: Sample Dish, servings: 1)"));
        Assert.That(text, Does.Contain("Plan: Sample Dish, for 1").And.Contain("Wine: Sample Wine").And.Contain("Ingredients:"));
    }

    [Test]
    public void KitchenCommand_ApproveFlag_RunsTheOrder()
    {
        var (exitCode, text) = RunOffline(ApprovalMode.Approve, console: null);

        Assert.That(exitCode, Is.Zero);
        Assert.That(text, Does.Contain("Approval needed: OrderIngredientsAsync {\"items\":[\"Sample items 1\",\"Sample items 2\"]}"));
        Assert.That(text, Does.Contain("approved (--approve)"));
        Assert.That(text, Does.Contain("OrderIngredientsAsync:1: {\"orderId\":\"order-1\""));
        Assert.That(text, Does.Not.Contain("ToolCallDeniedException"));
    }

    [Test]
    public void KitchenCommand_DenyFlag_DoesNotRunTheOrder_AndTheStepGoesOn()
    {
        var (exitCode, text) = RunOffline(ApprovalMode.Deny, console: null);

        Assert.That(exitCode, Is.Zero, "a denial goes back to the model; the plan is still made");
        Assert.That(text, Does.Contain("denied (--deny)"));
        Assert.That(text, Does.Match(@"(?m)^   [├└]─ OrderIngredientsAsync #1 \(.*\) failed: ToolCallDeniedException"));
        Assert.That(text, Does.Contain("OrderIngredientsAsync:1: ToolCallDeniedException, the model was told"));
        Assert.That(text, Does.Contain("Plan: Sample Dish"));
    }

    [TestCase("y\n", true)]
    [TestCase("YES\n", true)]
    [TestCase("n\n", false)]
    [TestCase("\n", false)]
    [TestCase("", false)]
    public void KitchenCommand_AsksAtTheConsole_YesApproves_AnythingElseDenies(string typed, bool approved)
    {
        using var console = new StringReader(typed);
        var (exitCode, text) = RunOffline(ApprovalMode.Ask, console);

        Assert.That(exitCode, Is.Zero);
        Assert.That(text, Does.Contain("Approve? [y/N]"));
        Assert.That(text.Contains("ToolCallDeniedException", StringComparison.Ordinal), Is.EqualTo(!approved), text);
        Assert.That(text, Does.Contain(approved ? "  approved" : "  denied"));
    }

    [Test]
    public void KitchenCommand_AskWithNoInteractiveConsole_DeniesWithANote_RatherThanWaiting()
    {
        var (exitCode, text) = RunOffline(ApprovalMode.Ask, console: null);

        Assert.That(exitCode, Is.Zero);
        Assert.That(text, Does.Contain("denied: input is not interactive").And.Contain("--approve or --deny"));
        Assert.That(text, Does.Not.Contain("Approve? [y/N]"));
        Assert.That(text, Does.Contain("failed: ToolCallDeniedException"));
    }

    [Test]
    public async Task HostDinner_WhenTheModelChoosesAnotherVariant_DoesNotPlan()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("OrderTakeaway", """{"Cuisine":"Thai","Reason":"It is late."}""");
        using var runtime = new Runtime(client);

        var result = await Steps.Create<KitchenAgent>().HostDinnerAsync("dinner for two");

        Assert.That(result.Decision, Is.EqualTo(new OrderTakeaway("Thai", "It is late.")));
        Assert.That(result.Plan, Is.Null);
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "DecideAsync", "HostDinnerAsync" }));
        Assert.That(client.Requests[0].Options!.Tools!.Select(t => t.Name), Is.EqualTo(new[] { "CookAtHome", "OrderTakeaway", "AskTheGuest" }));
    }

    private static (int ExitCode, string Text) RunOffline(ApprovalMode approval, TextReader? console)
    {
        var saved = (Environment.GetEnvironmentVariable(RuntimeOptions.ApiKeyVariable), Environment.GetEnvironmentVariable(RuntimeOptions.BaseUrlVariable));
        Environment.SetEnvironmentVariable(RuntimeOptions.ApiKeyVariable, null);
        Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, null);
        try
        {
            using var output = new StringWriter();
            int exitCode = KitchenCommand.Run("dinner for two", output, approval, console);
            return (exitCode, output.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(RuntimeOptions.ApiKeyVariable, saved.Item1);
            Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, saved.Item2);
        }
    }
}

public class ToolSnippetTests
{
    [Test]
    public async Task DinnerPlanner_FromTheToolsDoc_RunsOnTheSampleModel_WithItsToolsUnderTheLlmStep()
    {
        var asked = new List<string>();
        var menu = await AgentSteps.Examples.Snippets.ToolSnippets.ExternalToolsAndApprovalAsync(new SampleChatClient(), (question, _) =>
        {
            asked.Add(question);
            return ValueTask.FromResult(true);
        });

        Assert.That(menu.Dish, Is.EqualTo("Sample Dish"));
        Assert.That(asked, Has.Count.EqualTo(1).And.All.EqualTo("May the planner call OrderIngredientsAsync(items = [\"Sample items 1\",\"Sample items 2\"])?"));
    }

    [Test]
    public async Task SupportDesk_FromTheToolsDoc_AnswersWithAVariant()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var reply = await AgentSteps.Examples.Snippets.ToolSnippets.TriageAsync(new("Refund", "Please refund me."));

        Assert.That(reply, Is.EqualTo("Sent to Sample Team: Sample Reason"), "the sample model picks the first variant");
    }
}
