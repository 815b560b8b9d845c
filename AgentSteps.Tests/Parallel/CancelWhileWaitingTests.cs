namespace AgentSteps.Tests.Concurrency;

public class CancelWhileWaitingTests
{
    public abstract class Translator
    {
        [Step(Model = "m"), Description("Translate.")]
        public abstract Task<string> TranslateAsync(string text);

        [Step]
        public virtual Task<string[]> AllAsync(int count) => Task.WhenAll(Enumerable.Range(0, count).Select(i => TranslateAsync("t" + i)));
    }

    [Test]
    public async Task CancellingARun_WhileCallsWaitForASlot_MakesNoneOfTheWaitingCalls()
    {
        var client = new HangingChatClient();
        var runtime = new Runtime(new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 3 });
        Task<string[]> all;
        using (runtime)
        {
            all = Steps.Create<Translator>().AllAsync(20);
            await client.WaitForCallAsync(3).WaitAsync(TimeSpan.FromSeconds(30));
            runtime.Cancel();
            Assert.CatchAsync<OperationCanceledException>(() => all);
        }

        Assert.That(client.Calls, Is.EqualTo(3), "the 17 waiting calls were never made");
        Assert.That(runtime.Usage.ModelCalls, Is.EqualTo(3), "and a call never made is never counted");
    }
}
