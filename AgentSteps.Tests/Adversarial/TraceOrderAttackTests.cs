using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests.Adversarial;

public class TraceOrderAttackTests
{
    public abstract class Fan
    {
        public TaskCompletionSource FirstMayFinish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        [Step]
        public virtual async Task<string> FanOutAsync()
        {
            var parts = await Task.WhenAll(BranchAsync(1), BranchAsync(2), BranchAsync(3));
            return string.Join(",", parts);
        }

        [Step]
        public virtual async Task<int> BranchAsync(int n)
        {
            if (n == 1)
            {
                await FirstMayFinish.Task; // the first branch called finishes last
            }
            else
            {
                await Task.Yield();
                if (n == 3)
                {
                    FirstMayFinish.SetResult();
                }
            }

            return n;
        }
    }

    private sealed class FrozenClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override long GetTimestamp() => 0;
    }

    private static RuntimeOptions FrozenOptions() => new() { ChatClient = new SampleChatClient(), TimeProvider = new FrozenClock() };

    [Test]
    public async Task ToJson_ParallelBranchesUnderAFixedClock_ListsChildrenInCallOrder()
    {
        using var runtime = new Runtime(FrozenOptions());

        await Steps.Create<Fan>().FanOutAsync();

        var children = (JArray)JObject.Parse(runtime.ToJson())["steps"]![0]!["children"]!;
        Assert.That(children.Select(c => (int)c["arguments"]!["n"]!), Is.EqualTo(new[] { 1, 2, 3 }), "the same run must print the same trace");
        Assert.That(runtime.FormatTree().Split('\n').Where(l => l.Contains("BranchAsync", StringComparison.Ordinal)).Count(), Is.EqualTo(3));
    }

    [Test]
    public async Task FormatTree_ParallelBranchesUnderAFixedClock_IsTheSameOnEveryRun()
    {
        string Run()
        {
            using var runtime = new Runtime(FrozenOptions());
            Steps.Create<Fan>().FanOutAsync().GetAwaiter().GetResult();
            return runtime.ToJson().Replace(runtime.RunId, "run", StringComparison.Ordinal);
        }

        var first = await Task.Run(Run);
        var second = await Task.Run(Run);
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public async Task ToJson_EveryStep_CarriesItsKey()
    {
        using var runtime = new Runtime(FrozenOptions());

        await Steps.Create<Fan>().FanOutAsync();

        var root = JObject.Parse(runtime.ToJson())["steps"]![0]!;
        Assert.That((string?)root["key"], Is.EqualTo("FanOutAsync:1"), "Runtime.ToJson documents 'name, key, arguments...'");
    }
}
