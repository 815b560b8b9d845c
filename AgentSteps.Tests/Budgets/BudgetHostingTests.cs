namespace AgentSteps.Tests.Budgets;

public class BudgetHostingTests
{
    public record Verdict(bool Ok);

    public abstract class Judge
    {
        [Step]
        public virtual int Twice(string x) => (Decide(x).Ok ? 1 : 0) + (Decide(x).Ok ? 1 : 0);

        [Step(Model = "m"), Description("Decide.")]
        public abstract Verdict Decide(string x);
    }

    [Test]
    public void BudgetAndPrices_FromTheContainer_LimitAndPriceEachRun()
    {
        var client = new ScriptedChatClient();
        for (int i = 0; i < 4; i++)
        {
            client.Enqueue(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, """{"Ok":true}"""))
            {
                Usage = new UsageDetails { InputTokenCount = 1_000_000, OutputTokenCount = 0, TotalTokenCount = 1_000_000 },
            });
        }

        var runs = new RunCollector();
        var services = new ServiceCollection();
        services.AddChatClient(client);
        services.AddAgentSteps(o =>
        {
            o.UseEnvironment = false;
            o.Budget = new RunBudget { MaxModelCalls = 1 };
            o.Prices["m"] = new ModelPrice(InputPerMillion: 2m, OutputPerMillion: 4m);
        }).AddWorkflow<Judge>().AddRunObserver(runs);
        using var provider = services.BuildServiceProvider();

        Assert.Throws<BudgetExceededException>(() => provider.GetRequiredService<Judge>().Twice("x"));
        Assert.That(client.Requests, Has.Count.EqualTo(1), "the second call of the run was not made");
        Assert.That(runs.Runs.Single().Usage.Cost, Is.EqualTo(2m), "a million input tokens at 2 per million");
    }

    private sealed class RunCollector : IRunObserver
    {
        public List<Runtime> Runs { get; } = [];

        public void OnRunCompleted(Runtime run) => Runs.Add(run);
    }
}
