namespace AgentSteps.Tests;

public class ConcurrencyLimitHostingTests
{
    public abstract class Summaries
    {
        [Step(Model = "gpt-4o-mini"), Description("Summarize the text in one line.")]
        public abstract Task<string> SummarizeAsync(string text, CancellationToken cancellationToken = default);
    }

    [Test]
    public async Task MaxConcurrentModelCalls_FromAgentStepsOptions_IsOneLimitForEveryRunOfTheContainer()
    {
        var runs = new List<Runtime>();
        var services = new ServiceCollection();
        services.AddChatClient(new SampleChatClient());
        services.AddAgentSteps(o =>
        {
            o.UseEnvironment = false;
            o.MaxConcurrentModelCalls = 3;
        }).AddWorkflow<Summaries>().AddRunObserver(new RunCollector(runs));
        using var provider = services.BuildServiceProvider();

        for (int i = 0; i < 2; i++)
        {
            using var scope = provider.CreateScope();
            await scope.ServiceProvider.GetRequiredService<Summaries>().SummarizeAsync("text");
        }

        Assert.That(runs, Has.Count.EqualTo(2));
        Assert.That(runs[0].Configuration.ModelCallGate, Is.Not.Null.And.SameAs(runs[1].Configuration.ModelCallGate));
        Assert.That(runs[0].Configuration.ModelCallGate!.CurrentCount, Is.EqualTo(3), "every slot given back");
    }

    private sealed class RunCollector(List<Runtime> runs) : IRunObserver
    {
        public void OnRunCompleted(Runtime run)
        {
            lock (runs)
            {
                runs.Add(run);
            }
        }
    }
}
