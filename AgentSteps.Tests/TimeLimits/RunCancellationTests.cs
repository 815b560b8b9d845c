namespace AgentSteps.Tests.TimeLimits;

public class RunCancellationTests
{
    public record Plan(string Dish);

    public abstract class Kitchen
    {
        public int BodyRuns { get; set; }

        [Step(Model = "m"), Description("Plans a dish.")]
        public abstract Task<Plan> PlanAsync(string request);

        [Step(Model = "m", Tools = ["wait_for_oven"]), Description("Plans a dish with the oven.")]
        public abstract Task<Plan> PlanWithOvenAsync(string request);

        [Step]
        public virtual async Task<string> CookAsync(string request)
        {
            BodyRuns++;
            return (await PlanAsync(request)).Dish;
        }
    }

    [Test]
    public async Task Cancel_MidRun_ReachesTheModelCallOfAStepWithoutToken()
    {
        var client = new HangingChatClient();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client });

        var call = Steps.Create<Kitchen>().CookAsync("soup");
        await client.WaitForCallAsync(1);
        runtime.Cancel();

        Assert.CatchAsync<OperationCanceledException>(() => call);
        Assert.That(runtime.ExecutedSteps, Has.All.Matches<ExecutedStep>(s => s.Exception is OperationCanceledException));
    }

    [Test]
    public async Task Cancel_MidRun_ReachesATool()
    {
        var toolEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var toolCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tool = AIFunctionFactory.Create(
            async (CancellationToken cancellationToken) =>
            {
                toolEntered.SetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    toolCancelled.SetResult();
                    throw;
                }

                return "hot";
            },
            "wait_for_oven",
            "Waits until the oven is hot.");
        var client = new HangingChatClient((call, token) => call == 1
            ? Task.FromResult(HangingChatClient.ToolCall("wait_for_oven"))
            : Task.FromResult(HangingChatClient.Text("""{"Dish":"bread"}""")));
        var options = new RuntimeOptions { ChatClient = client };
        options.Tools.Add(tool);
        using var runtime = new Runtime(options);

        var call = Steps.Create<Kitchen>().PlanWithOvenAsync("bread");
        await toolEntered.Task;
        runtime.Cancel();

        await toolCancelled.Task;
        Assert.CatchAsync<OperationCanceledException>(() => call);
        Assert.That(client.Calls, Is.EqualTo(1), "no model call after the cancellation");
    }

    [Test]
    public void OptionsToken_CancelledBeforeTheRun_NoModelCallAndNoBody()
    {
        var client = new HangingChatClient();
        var options = new RuntimeOptions { ChatClient = client, CancellationToken = new CancellationToken(canceled: true) };
        using var runtime = new Runtime(options);
        var kitchen = Steps.Create<Kitchen>();

        Assert.CatchAsync<OperationCanceledException>(() => kitchen.CookAsync("soup"));
        Assert.CatchAsync<OperationCanceledException>(() => kitchen.PlanAsync("soup"));
        Assert.Multiple(() =>
        {
            Assert.That(client.Calls, Is.Zero);
            Assert.That(kitchen.BodyRuns, Is.Zero);
            Assert.That(runtime.ExecutedSteps, Has.All.Matches<ExecutedStep>(s => s.Exception is OperationCanceledException));
        });
    }

    [Test]
    public async Task OptionsToken_CancelledMidRun_ReachesEveryRunBuiltFromTheOptions()
    {
        using var source = new CancellationTokenSource();
        var client = new HangingChatClient();
        var options = new RuntimeOptions { ChatClient = client, CancellationToken = source.Token };
        Task first, second;
        using (new Runtime(options))
        {
            first = Steps.Create<Kitchen>().PlanAsync("soup");
        }

        using (new Runtime(options))
        {
            second = Steps.Create<Kitchen>().PlanAsync("bread");
        }

        await client.WaitForCallAsync(2);
        await source.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => first);
        Assert.CatchAsync<OperationCanceledException>(() => second);
    }

    [Test]
    public async Task Cancel_OneRun_LeavesTheOthersOfTheSameOptions()
    {
        var client = new HangingChatClient((call, token) => call == 1 ? HangingChatClient.NeverAsync(call, token) : Task.FromResult(HangingChatClient.Text("""{"Dish":"bread"}""")));
        var options = new RuntimeOptions { ChatClient = client };
        var cancelled = new Runtime(options);
        var call = Steps.Create<Kitchen>().PlanAsync("soup");
        await client.WaitForCallAsync(1);
        cancelled.Cancel();
        Assert.CatchAsync<OperationCanceledException>(() => call);
        cancelled.Dispose();

        using var other = new Runtime(options);
        Assert.That((await Steps.Create<Kitchen>().PlanAsync("bread")).Dish, Is.EqualTo("bread"));
    }

    [Test]
    public void Cancel_AfterTheRunEnded_DoesNothing()
    {
        var runtime = new Runtime(new RuntimeOptions { ChatClient = new HangingChatClient() });
        runtime.Dispose();
        Assert.DoesNotThrow(runtime.Cancel);
        Assert.DoesNotThrow(runtime.Cancel);
    }
}
