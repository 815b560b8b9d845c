namespace AgentSteps.Tests.Budgets;

public class ParallelBudgetTests
{
    [Test]
    public async Task MaxModelCalls_ParallelSteps_NeverExceeded()
    {
        var client = BudgetTestClient.WithReplies(50);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, Budget = new RunBudget { MaxModelCalls = 5 } });
        var workflow = Steps.Create<BudgetWorkflow>();

        var calls = Enumerable.Range(0, 20).Select(i => Task.Run(() => workflow.AskAsync("question " + i))).ToArray();
        var outcomes = await Task.WhenAll(calls.Select(async c =>
        {
            try
            {
                await c;
                return "answered";
            }
            catch (BudgetExceededException)
            {
                return "refused";
            }
        }));

        Assert.Multiple(() =>
        {
            Assert.That(client.Requests, Has.Count.EqualTo(5));
            Assert.That(outcomes.Count(o => o == "answered"), Is.EqualTo(5));
            Assert.That(runtime.Usage.ModelCalls, Is.EqualTo(5));
        });
    }

    [Test]
    public void StepMaxModelCalls_ParallelChildren_NeverExceeded()
    {
        var client = BudgetTestClient.WithReplies(50);
        using var runtime = new Runtime(client);

        var e = Assert.ThrowsAsync<BudgetExceededException>(() => Steps.Create<ParallelWorkflow>().FanOutAsync(10));

        Assert.That(e!.BudgetStepName, Is.EqualTo("ParallelWorkflow.FanOutAsync"));
        Assert.That(client.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task TokenLimit_CallsInFlightWhenReached_FinishAndTheNextIsRefused()
    {
        // Four calls start together, before any reports usage: all are allowed and all finish, passing the 15-token limit
        // by the three that were in flight. That is the documented bound; the next call is refused.
        var gated = new GatedChatClient(BudgetTestClient.WithReplies(), arrivals: 4);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = gated, Budget = new RunBudget { MaxTotalTokens = 15 } });
        var workflow = Steps.Create<BudgetWorkflow>();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => workflow.AskAsync("question " + i)));
        var e = Assert.ThrowsAsync<BudgetExceededException>(() => workflow.AskAsync("one more"));

        Assert.Multiple(() =>
        {
            Assert.That(gated.Arrived, Is.EqualTo(4));
            Assert.That(runtime.Usage.TotalTokens, Is.EqualTo(60));
            Assert.That(e!.Used, Is.EqualTo(60m));
        });
    }

    public abstract class ParallelWorkflow
    {
        [Step(Model = "gpt-4o-mini"), Description("Answer the question.")]
        public abstract Task<string> AskAsync(string question);

        [Step(MaxModelCalls = 3)]
        public virtual async Task<int> FanOutAsync(int count)
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(i => AskAsync("question " + i)));
            return count;
        }
    }
}
