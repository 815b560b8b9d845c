using Newtonsoft.Json.Linq;

namespace AgentSteps.Tests;

public class RuntimeTests
{
    public abstract class Work
    {
        [Step]
        public virtual async Task<string> RunAsync(string name)
        {
            await Task.Yield();
            var parts = await Task.WhenAll(PartAsync(name, 1), PartAsync(name, 2));
            return string.Join("+", parts);
        }

        [Step]
        public virtual async Task<string> PartAsync(string name, int index)
        {
            await Task.Yield();
            return $"{name}{index}";
        }

        [Step]
        public virtual string Sync(string value) => value;
    }

    [Test]
    public void Constructor_MakesRuntimeAmbientAndDisposeRestoresTheOuterOne()
    {
        Assert.That(Runtime.Current, Is.Null);
        using (var outer = new Runtime(new SampleChatClient()))
        {
            Assert.That(Runtime.Current, Is.SameAs(outer));
            using (var inner = new Runtime(new SampleChatClient()))
            {
                Assert.That(Runtime.Current, Is.SameAs(inner));
            }

            Assert.That(Runtime.Current, Is.SameAs(outer));
        }

        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public async Task Current_FlowsThroughAwait()
    {
        using var runtime = new Runtime(new SampleChatClient());
        await Task.Yield();
        await Task.Run(() => Assert.That(Runtime.Current, Is.SameAs(runtime)));
        var workflow = Steps.Create<Work>();

        Assert.That(await workflow.RunAsync("a"), Is.EqualTo("a1+a2"));
        Assert.That(runtime.ExecutedSteps, Has.Count.EqualTo(3));
    }

    [Test]
    public void NestedRuntime_RecordsItsStepsOnly()
    {
        using var outer = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Work>();
        workflow.Sync("outer");
        using (var inner = new Runtime(new SampleChatClient()))
        {
            workflow.Sync("inner");
            Assert.That(inner.ExecutedSteps.Select(s => s.Result), Is.EqualTo(new[] { "inner" }));
        }

        Assert.That(outer.ExecutedSteps.Select(s => s.Result), Is.EqualTo(new[] { "outer" }));
    }

    [Test]
    public async Task ParallelRuntimes_NeverSeeEachOthersSteps()
    {
        var workflow = Steps.Create<Work>();
        var runs = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            using var runtime = new Runtime(new SampleChatClient());
            await workflow.RunAsync($"run{i}-");
            return (i, runtime.ExecutedSteps);
        }));

        foreach (var (i, steps) in await Task.WhenAll(runs))
        {
            Assert.That(steps, Has.Count.EqualTo(3));
            Assert.That(steps.All(s => ((string)s.Arguments["name"]!) == $"run{i}-"), Is.True, $"run {i} saw another run's step");
        }
    }

    [Test]
    public async Task ParallelChildren_AreRecordedUnderTheirParent()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Work>();

        await workflow.RunAsync("x");

        var root = runtime.RootSteps.Single();
        Assert.That(root.Name, Is.EqualTo("RunAsync"));
        Assert.That(root.Children.Select(c => c.Result).Order(), Is.EqualTo(new[] { "x1", "x2" }));
        Assert.That(root.Children.All(c => c.Parent == root && c.StartedAt >= root.StartedAt && c.Duration <= root.Duration), Is.True);
        Assert.That(runtime.ExecutedSteps[^1], Is.SameAs(root), "the parent finishes last");
    }

    [Test]
    public async Task ToJson_WritesTheCallTreeWithArgumentsResultsAndErrors()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Work>();
        await workflow.RunAsync("j");

        var json = JObject.Parse(runtime.ToJson());

        Assert.That((string?)json["runId"], Is.EqualTo(runtime.RunId));
        var root = (JObject)json["steps"]![0]!;
        Assert.That((string?)root["name"], Is.EqualTo("RunAsync"));
        Assert.That((string?)root["arguments"]!["name"], Is.EqualTo("j"));
        Assert.That((string?)root["result"], Is.EqualTo("j1+j2"));
        Assert.That(root["children"]!.Select(c => (int)c["arguments"]!["index"]!).Order(), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void FormatTree_IndentsChildrenUnderTheirParent()
    {
        using var runtime = new Runtime(new SampleChatClient());
        Steps.Create<StepInterceptorTests.Shapes>().Outer(1);

        var lines = runtime.FormatTree().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[0], Does.StartWith("Outer #1 ("));
        Assert.That(lines[1], Does.StartWith("├─ Inner #1 ("));
        Assert.That(lines[2], Does.StartWith("└─ Inner #2 ("));
    }
}
