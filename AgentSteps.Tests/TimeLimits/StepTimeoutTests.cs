using Microsoft.Extensions.Time.Testing;

namespace AgentSteps.Tests.TimeLimits;

public class StepTimeoutTests
{
    public record Plan(string Dish);

    public abstract class Kitchen
    {
        public int BodyRuns { get; set; }

        // No CancellationToken parameter: the time limit must reach the model call all the same.
        [Step(Model = "m", TimeoutSeconds = 5), Description("Plans a dish.")]
        public abstract Task<Plan> PlanAsync(string request);

        [Step(Model = "m"), Description("Plans a dish, without a limit of its own.")]
        public abstract Task<Plan> PlanFreelyAsync(string request);

        [Step(TimeoutSeconds = 5)]
        public virtual async Task<string> CookAsync(string request)
        {
            BodyRuns++;
            var plan = await PlanFreelyAsync(request);
            return plan.Dish;
        }

        [Step(TimeoutSeconds = 5)]
        public virtual string Quick() => "done";
    }

    [Test]
    public async Task TimeoutSeconds_ModelNeverAnswers_StepWithoutTokenFailsWithRecordedStepTimeoutException()
    {
        var clock = new FakeTimeProvider();
        var client = new HangingChatClient();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, TimeProvider = clock });

        var call = Steps.Create<Kitchen>().PlanAsync("soup");
        await client.WaitForCallAsync(1);
        clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.That(call.IsCompleted, Is.False, "the limit has not passed yet");
        clock.Advance(TimeSpan.FromSeconds(0.1));

        var e = Assert.ThrowsAsync<StepTimeoutException>(() => call);
        var step = runtime.ExecutedSteps.Single();
        Assert.Multiple(() =>
        {
            Assert.That(e!.StepName, Is.EqualTo("Kitchen.PlanAsync"));
            Assert.That(e.Timeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(e.InnerException, Is.InstanceOf<OperationCanceledException>());
            Assert.That(client.Tokens[0].IsCancellationRequested, Is.True, "the model call's token was cancelled");
            Assert.That(step.Exception, Is.SameAs(e));
        });
    }

    [Test]
    public async Task TimeoutSeconds_CoversRetries_TheLimitIsForTheWholeCall()
    {
        var clock = new FakeTimeProvider();
        var firstReply = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new HangingChatClient((call, token) => call == 1 ? firstReply.Task : HangingChatClient.NeverAsync(call, token));
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, TimeProvider = clock });

        var call = Steps.Create<Kitchen>().PlanAsync("soup");
        await client.WaitForCallAsync(1);
        clock.Advance(TimeSpan.FromSeconds(3));
        firstReply.SetResult(HangingChatClient.Text("not json")); // invalid: the step asks again
        await client.WaitForCallAsync(2);
        clock.Advance(TimeSpan.FromSeconds(2)); // 5 s in all, though the second try has taken 2

        Assert.ThrowsAsync<StepTimeoutException>(() => call);
        Assert.That(runtime.ExecutedSteps.Single().ModelCalls, Is.EqualTo(2));
    }

    [Test]
    public async Task TimeoutSeconds_OnCodeStepWithoutToken_ReachesTheChildsModelCall()
    {
        var clock = new FakeTimeProvider();
        var client = new HangingChatClient();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, TimeProvider = clock });

        var call = Steps.Create<Kitchen>().CookAsync("soup");
        await client.WaitForCallAsync(1);
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.ThrowsAsync<StepTimeoutException>(() => call);
        var parent = runtime.RootSteps.Single();
        var child = parent.Children.Single();
        Assert.Multiple(() =>
        {
            Assert.That(parent.Exception, Is.InstanceOf<StepTimeoutException>());
            Assert.That(child.Name, Is.EqualTo("PlanFreelyAsync"));
            Assert.That(child.Exception, Is.InstanceOf<OperationCanceledException>(), "the child was cancelled; the time limit was its parent's");
        });
    }

    [Test]
    public void TimeoutSeconds_StepEndsInTime_ReturnsItsResultAndTheTimerGoes()
    {
        var clock = new FakeTimeProvider();
        var client = new HangingChatClient((_, _) => Task.FromResult(HangingChatClient.Text("""{"Dish":"soup"}""")));
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, TimeProvider = clock });
        var kitchen = Steps.Create<Kitchen>();

        Assert.That(kitchen.Quick(), Is.EqualTo("done"));
        Assert.That(kitchen.PlanAsync("soup").Result.Dish, Is.EqualTo("soup"));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.That(runtime.ExecutedSteps, Has.All.Matches<ExecutedStep>(s => s.Succeeded));
    }

    [TestCase(-1)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void TimeoutSeconds_Nonsense_Throws(double seconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { TimeoutSeconds = seconds });

    [Test]
    public void TimeoutSeconds_Default_IsNoLimit() => Assert.That(new StepAttribute().TimeoutSeconds, Is.Zero);
}
