namespace AgentSteps.Tests.Tools;

public class ToolHostingTests
{
    public record Plan(string Dish);

    public abstract class Cook
    {
        [Step(RequiresApproval = true), Description("Buys an ingredient.")]
        public virtual string Buy(string item) => "bought " + item;

        [Step(Model = "m", Tools = ["convert_units", nameof(Buy)])]
        [Description("Plan with conversions.")]
        public abstract Plan PlanDinner(string request);
    }

    [Test]
    public void ToolsAndApprovalHandler_FromTheContainer_ReachTheRun()
    {
        var converted = 0;
        var asked = new List<string>();
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("convert_units", """{"amount":2}"""), ("Buy", """{"item":"leek"}"""))
            .Enqueue("""{"Dish":"soup"}""");
        var runs = new RunCollector();
        var services = new ServiceCollection();
        services.AddChatClient(client);
        services.AddAgentSteps(o =>
            {
                o.UseEnvironment = false;
                o.ApprovalHandler = (request, _) =>
                {
                    asked.Add(((FunctionCallContent)request.ToolCall).Name);
                    return ValueTask.FromResult(true);
                };
            })
            .AddWorkflow<Cook>()
            .AddRunObserver(runs)
            .AddTool(AIFunctionFactory.Create((double amount) => Interlocked.Increment(ref converted) * amount, "convert_units"));
        using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetRequiredService<Cook>().PlanDinner("x").Dish, Is.EqualTo("soup"));
        var run = runs.Runs.Single();
        Assert.That(converted, Is.EqualTo(1));
        Assert.That(asked, Is.EqualTo(new[] { "Buy" }));
        Assert.That(run.ExecutedSteps.Select(s => s.Name), Is.EquivalentTo(new[] { "convert_units", "Buy", "PlanDinner" }));
    }

    private sealed class RunCollector : IRunObserver
    {
        public List<Runtime> Runs { get; } = [];

        public void OnRunCompleted(Runtime run) => Runs.Add(run);
    }
}
