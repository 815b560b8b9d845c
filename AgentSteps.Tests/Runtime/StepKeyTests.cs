using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace AgentSteps.Tests;

public class StepKeyTests
{
    public record Verdict(bool Ok);

    public abstract class Tree
    {
        public TaskCompletionSource FirstMayFinish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ThirdMayFinish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        [Step(MaxLoops = 3)]
        public virtual string Root(int depth)
        {
            Leaf("a");
            Leaf("b");
            Other();
            return depth > 1 ? Root(depth - 1) : "done";
        }

        [Step]
        public virtual string Leaf(string x) => x;

        [Step]
        public virtual void Other()
        {
        }

        [Step]
        public virtual async Task<string> FanOutAsync()
        {
            var parts = await Task.WhenAll(BranchAsync(1), BranchAsync(2), BranchAsync(3));
            return string.Join(",", parts);
        }

        [Step]
        public virtual async Task<int> BranchAsync(int n)
        {
            // Branches finish in the order 2, 3, 1: a test observer releases each when the one before it is recorded.
            if (n == 1)
            {
                await FirstMayFinish.Task;
            }
            else if (n == 3)
            {
                await ThirdMayFinish.Task;
            }
            else
            {
                await Task.Yield();
            }

            Leaf(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return n;
        }
    }

    public abstract class Checker
    {
        [Step(Model = "gpt-4o-mini"), Description("Check it.")]
        public abstract Verdict Check(string text);
    }

    [Test]
    public void Key_IsParentKeyNameAndOrdinalInCallOrder()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<Tree>().Root(2);

        var keys = runtime.ExecutedSteps.Select(s => s.Key).Order(StringComparer.Ordinal).ToArray();
        Assert.That(keys, Is.EqualTo(new[]
        {
            "Root:1",
            "Root:1/Leaf:1",
            "Root:1/Leaf:2",
            "Root:1/Other:1",
            "Root:1/Root:1",
            "Root:1/Root:1/Leaf:1",
            "Root:1/Root:1/Leaf:2",
            "Root:1/Root:1/Other:1",
        }));
        Assert.That(runtime.ExecutedSteps.Single(s => s.Key == "Root:1/Leaf:2").Arguments["x"], Is.EqualTo("b"));
    }

    [Test]
    public void Key_OfTopLevelCalls_CountsEachStepsCalls()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var tree = Steps.Create<Tree>();

        tree.Leaf("x");
        tree.Other();
        tree.Leaf("y");

        Assert.That(runtime.ExecutedSteps.Select(s => s.Key), Is.EqualTo(new[] { "Leaf:1", "Other:1", "Leaf:2" }));
    }

    [Test]
    public async Task Key_OfParallelBranches_FollowsCallOrderNotCompletionOrder()
    {
        var tree = Steps.Create<Tree>();
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Observers.Add(new ReleaseOnCompletion(tree));
        using var runtime = new Runtime(options);

        Assert.That(await tree.FanOutAsync(), Is.EqualTo("1,2,3"));

        var branches = runtime.ExecutedSteps.Where(s => s.Name == "BranchAsync").ToList();
        Assert.That(branches.Select(s => s.Arguments["n"]), Is.EqualTo(new object[] { 2, 3, 1 }), "completion order");
        Assert.That(branches.Select(s => s.Key), Is.EqualTo(new[] { "FanOutAsync:1/BranchAsync:2", "FanOutAsync:1/BranchAsync:3", "FanOutAsync:1/BranchAsync:1" }));
        Assert.That(runtime.ExecutedSteps.Single(s => s.Name == "Leaf" && Equals(s.Arguments["x"], "1")).Key, Is.EqualTo("FanOutAsync:1/BranchAsync:1/Leaf:1"));
    }

    [Test]
    public void Key_IsTheSameOnEveryRun()
    {
        string[] Run()
        {
            using var runtime = new Runtime(new SampleChatClient());
            Steps.Create<Tree>().Root(3);
            return runtime.ExecutedSteps.Select(s => s.Key).ToArray();
        }

        var first = Run();
        var second = Run();
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Key_IsUniqueWithinARun()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<Tree>().Root(3);

        Assert.That(runtime.ExecutedSteps.Select(s => s.Key), Is.Unique);
    }

    [Test]
    public void Messages_OfAnLlmStep_HoldTheWholeConversationWithCorrections()
    {
        var client = new ScriptedChatClient("not json", """{"Ok":true}""");
        using var runtime = new Runtime(client);

        Steps.Create<Checker>().Check("text");

        var messages = runtime.ExecutedSteps.Single().Messages;
        Assert.That(messages.Select(m => m.Role), Is.EqualTo(new[] { ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.User, ChatRole.Assistant }));
        Assert.That(messages[0].Text, Is.EqualTo("Check it."));
        Assert.That(messages[1].Text, Is.EqualTo("text"));
        Assert.That(messages[2].Text, Is.EqualTo("not json"));
        Assert.That(messages[3].Text, Does.Contain("not valid"));
        Assert.That(messages[4].Text, Is.EqualTo("""{"Ok":true}"""));
    }

    [Test]
    public void Messages_OfACodeStep_AreEmpty()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<Tree>().Leaf("x");

        Assert.That(runtime.ExecutedSteps.Single().Messages, Is.Empty);
    }

    [Test]
    public void ModelCalls_CountsACallThatThrew()
    {
        var client = new ScriptedChatClient().Enqueue(_ => throw new HttpRequestException("connection refused"));
        using var runtime = new Runtime(client);

        Assert.Throws<StepModelException>(() => Steps.Create<Checker>().Check("x"));

        Assert.That(runtime.ExecutedSteps.Single().ModelCalls, Is.EqualTo(1));
    }

    [Test]
    public void NullResponse_FromTheClient_IsAStepModelException()
    {
        var client = new ScriptedChatClient().Enqueue(_ => null!);
        using var runtime = new Runtime(client);

        var e = Assert.Throws<StepModelException>(() => Steps.Create<Checker>().Check("x"));

        Assert.That(e!.Message, Does.Contain("returned no response"));
    }

    /// <summary>Releases branch 3 once branch 2 is recorded, and branch 1 once branch 3 is.</summary>
    private sealed class ReleaseOnCompletion(Tree tree) : IRunObserver
    {
        public void OnStepCompleted(ExecutedStep step)
        {
            if (step.Name != "BranchAsync")
            {
                return;
            }

            (Equals(step.Arguments["n"], 2) ? tree.ThirdMayFinish : Equals(step.Arguments["n"], 3) ? tree.FirstMayFinish : null)?.TrySetResult();
        }
    }
}
