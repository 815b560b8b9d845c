using AgentSteps.Examples.Snippets;

namespace AgentSteps.Tests;

/// <summary>The parallel steps of docs/guide.md run in parallel and are recorded as children of the step that started them.</summary>
public class ReviewPanelTests
{
    [Test]
    public async Task ReviewForEveryoneAsync_TaskWhenAll_RunsTheCallsAtOnceAsChildrenOfTheCaller()
    {
        // The model answers only once all three calls are in it: the test finishes only if they run in parallel.
        var model = new GatedChatClient(new SampleChatClient(), arrivals: 3);
        using var runtime = new Runtime(model);

        var reviews = await Steps.Create<ReviewPanel>().ReviewForEveryoneAsync("kettle").WaitAsync(TimeSpan.FromMinutes(1));

        Assert.That(reviews, Has.Length.EqualTo(3));
        var root = runtime.RootSteps.Single();
        Assert.That(root.Name, Is.EqualTo(nameof(ReviewPanel.ReviewForEveryoneAsync)));
        Assert.That(root.Children.Select(c => c.Name), Is.EqualTo(Enumerable.Repeat(nameof(ReviewPanel.ReviewAsync), 3)));
        Assert.That(root.Children.Select(c => c.Parent), Has.All.SameAs(root));
        Assert.That(root.Children.Select(c => c.Arguments["audience"]), Is.EquivalentTo(new[] { "children", "cooks", "engineers" }));
        Assert.That(root.Children.Select(c => c.Loop), Is.EquivalentTo(new[] { 1, 2, 3 }));
        Assert.That(runtime.ExecutedSteps, Has.Count.EqualTo(4), "one run holds them all");
    }

    [Test]
    public async Task ReviewAllAsync_ParallelForEachAsync_RunsTheCallsAtOnceAsChildrenOfTheCaller()
    {
        string[] products = ["kettle", "toaster", "blender", "mixer"];
        var model = new GatedChatClient(new SampleChatClient(), arrivals: products.Length);
        using var runtime = new Runtime(model);

        var reviews = await Steps.Create<ReviewPanel>().ReviewAllAsync(products).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.That(reviews, Has.Length.EqualTo(products.Length).And.All.Not.Null);
        var root = runtime.RootSteps.Single();
        Assert.That(root.Name, Is.EqualTo(nameof(ReviewPanel.ReviewAllAsync)));
        Assert.That(root.Children, Has.Count.EqualTo(products.Length));
        Assert.That(root.Children.Select(c => c.Parent), Has.All.SameAs(root));
        Assert.That(root.Children.Select(c => c.Arguments["product"]), Is.EquivalentTo(products));
        Assert.That(runtime.FormatTree(), Does.StartWith("ReviewAllAsync #1"));
    }
}
