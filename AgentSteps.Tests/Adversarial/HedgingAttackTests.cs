namespace AgentSteps.Tests.Adversarial;

public class HedgingAttackTests
{
    private static readonly AsyncLocal<int> s_branch = new();

    public abstract class Work
    {
        [Step]
        public virtual int WhoRanMe(int x) => s_branch.Value;
    }

    [Test]
    public async Task Next_CalledInParallelOnACodeStep_EachBranchGetsItsOwnBodysResult()
    {
        int mismatches = 0;
        var options = new RuntimeOptions().Use(async (context, next) =>
        {
            var hedges = Enumerable.Range(1, 2).Select(b => Task.Run(async () =>
            {
                s_branch.Value = b;
                var result = (int)(await next(context))!;
                if (result != b)
                {
                    Interlocked.Increment(ref mismatches);
                }

                return result;
            })).ToArray();
            return (await Task.WhenAll(hedges))[0];
        });
        using var runtime = new Runtime(options);
        var workflow = Steps.Create<Work>();

        for (int i = 0; i < 20_000 && Volatile.Read(ref mismatches) == 0; i++)
        {
            await Task.Run(() => workflow.WhoRanMe(i));
        }

        Assert.That(mismatches, Is.Zero, "two bodies run at once on one Castle invocation share its ReturnValue");
    }
}
