namespace AgentSteps.Tests.Adversarial;

public class DeepTreeAttackTests
{
    public abstract class Deep
    {
        [Step]
        public virtual int Down(int depth) => depth == 0 ? 0 : Down(depth - 1) + 1;
    }

    [Test]
    public async Task ToJson_OfARunWhoseStepsNestThousandsDeep_OnAnOrdinaryThread_DoesNotOverflow()
    {
        const int depth = 20_000;
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Deep>();

        // The workflow runs on a thread with a big stack, as a console app's main thread or a deep recursion allows.
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                workflow.Down(depth);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, 256 * 1024 * 1024);
        thread.Start();
        thread.Join();
        Assert.That(failure, Is.Null);

        // The trace is read elsewhere, on a thread-pool thread with the default stack.
        var (json, tree, key) = await Task.Run(() => (runtime.ToJson(indented: false), runtime.FormatTree(), runtime.ExecutedSteps[0].Key));
        Assert.That(json, Does.Contain("nested deeper than"));
        Assert.That(tree, Does.Contain("nested deeper than"));
        Assert.That(tree.Length, Is.LessThan(10_000_000), "the tree's indentation must not balloon");
        Assert.That(key, Does.EndWith("/Down:1"), "the deepest step's key, read first, on an ordinary thread");
    }
}
