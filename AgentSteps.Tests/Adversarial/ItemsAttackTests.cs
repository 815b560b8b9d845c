namespace AgentSteps.Tests.Adversarial;

public class ItemsAttackTests
{
    public abstract class Work
    {
        [Step]
        public virtual async Task<int> RunAsync(int x)
        {
            await Task.Yield();
            return x;
        }
    }

    [Test]
    public async Task Items_WrittenFromHedgedBranchesAtOnce_LosesNothing()
    {
        const int branches = 4;
        const int perBranch = 5_000;
        int count = -1;
        var options = new RuntimeOptions().Use(async (context, next) =>
        {
            using var start = new Barrier(branches);
            var hedges = Enumerable.Range(0, branches).Select(b => Task.Run(async () =>
            {
                start.SignalAndWait();
                for (int i = 0; i < perBranch; i++)
                {
                    context.Items[$"{b}:{i}"] = i;
                }

                return await next(context);
            })).ToArray();
            var results = await Task.WhenAll(hedges);
            count = context.Items.Count;
            return results[0];
        });
        using var runtime = new Runtime(options);

        Assert.That(await Steps.Create<Work>().RunAsync(7), Is.EqualTo(7));
        Assert.That(count, Is.EqualTo(branches * perBranch), "hedging (documented) runs next in parallel on one StepContext");
    }
}
