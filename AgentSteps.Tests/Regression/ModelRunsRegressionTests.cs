namespace AgentSteps.Tests.Regression;

/// <summary>LLM steps in parallel runs on one shared configuration, and in a runtime nested inside a step.</summary>
public class ModelRunsRegressionTests
{
    public record Verdict(bool Ok, string? Reason);

    public abstract class Judge
    {
        [Step(Model = "m"), Description("Judge the text.")]
        public abstract Task<Verdict> JudgeAsync(string text);

        [Step(MaxLoops = 4)]
        public virtual async Task<int> UntilOk(string text)
        {
            var verdict = await JudgeAsync(text);
            return verdict.Ok ? 1 : 1 + await UntilOk(text);
        }

        [Step]
        public virtual async Task<string> Nested(IChatClient innerClient)
        {
            await JudgeAsync("outer");
            using var inner = new Runtime(innerClient);
            await JudgeAsync("inner");
            return inner.ExecutedSteps.Single().Key;
        }
    }

    [Test]
    public async Task FiftyParallelRuns_OnOneOptions_KeepModelCallsAndSampleVariantsApart()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        var judge = Steps.Create<Judge>();

        var runs = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var runtime = new Runtime(options);
            await Task.Yield();
            var entries = await judge.UntilOk("t" + i);
            return (entries, runtime);
        }));

        // The sample answers booleans false on a run's first call of a request and true on its second.
        foreach (var (entries, runtime) in runs)
        {
            Assert.That(entries, Is.EqualTo(2));
            Assert.That(runtime.ExecutedSteps.Where(s => s.Name == "JudgeAsync").Select(s => s.ModelCalls), Is.EqualTo(new[] { 1, 1 }));
            Assert.That(runtime.ExecutedSteps.Select(s => s.Key).Order(), Is.EqualTo(new[]
            {
                "UntilOk:1", "UntilOk:1/JudgeAsync:1", "UntilOk:1/UntilOk:1", "UntilOk:1/UntilOk:1/JudgeAsync:1",
            }));
        }
    }

    [Test]
    public async Task RuntimeNestedInAStep_ItsModelStepsUseItsOwnClient()
    {
        var outerClient = new ScriptedChatClient("""{"Ok":true,"Reason":null}""");
        var innerClient = new ScriptedChatClient("""{"Ok":false,"Reason":"inner"}""");
        using var outer = new Runtime(outerClient);

        var key = await Steps.Create<Judge>().Nested(innerClient);

        Assert.That(key, Is.EqualTo("JudgeAsync:1"));
        Assert.That(outerClient.Requests, Has.Count.EqualTo(1));
        Assert.That(innerClient.Requests, Has.Count.EqualTo(1));
        Assert.That(outer.ExecutedSteps.Select(s => s.Key), Is.EqualTo(new[] { "Nested:1/JudgeAsync:1", "Nested:1" }));
    }
}
