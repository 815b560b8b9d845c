namespace AgentSteps.Tests;

public class LoopGuardTests
{
    public abstract class Loops
    {
        public int Attempts { get; private set; }

        [Step(MaxLoops = 3)]
        public virtual string Retry(int succeedOn)
        {
            Attempts++;
            return Attempts >= succeedOn ? $"done after {Attempts}" : Retry(succeedOn);
        }

        [Step(MaxLoops = 2)]
        public virtual int Ping(int n) => n == 0 ? 0 : Pong(n - 1);

        [Step]
        public virtual int Pong(int n) => n == 0 ? 0 : Ping(n - 1);

        [Step(MaxLoops = 3)]
        public virtual async Task<int> CountdownAsync(int n)
        {
            await Task.Yield();
            return n == 0 ? 0 : 1 + await CountdownAsync(n - 1);
        }

        [Step(MaxLoops = 2)]
        public virtual int Once(int x) => x;
    }

    [Test]
    public void MaxLoops_RecursionWithinTheCap_Succeeds()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Loops>();

        Assert.That(workflow.Retry(succeedOn: 3), Is.EqualTo("done after 3"));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Loop), Is.EqualTo(new[] { 3, 2, 1 }));
    }

    [Test]
    public void MaxLoops_RecursionPastTheCap_ThrowsWithStepNameAndCap()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Loops>();

        var e = Assert.Throws<MaxLoopsExceededException>(() => workflow.Retry(succeedOn: 10));

        Assert.That(e!.StepName, Is.EqualTo("Loops.Retry"));
        Assert.That(e.MaxLoops, Is.EqualTo(3));
        Assert.That(e, Is.InstanceOf<AgentStepsException>());
        Assert.That(workflow.Attempts, Is.EqualTo(3), "the fourth entry never ran its body");
        Assert.That(runtime.ExecutedSteps, Has.Count.EqualTo(4));
        Assert.That(runtime.ExecutedSteps.All(s => s.Exception is MaxLoopsExceededException), Is.True, "no step reports a silent success");
    }

    [Test]
    public void MaxLoops_CycleBetweenSteps_CountsEntriesOfTheCappedStep()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Loops>();

        Assert.That(workflow.Ping(3), Is.EqualTo(0), "Ping, Pong, Ping, Pong: two entries of Ping");
        var e = Assert.Throws<MaxLoopsExceededException>(() => workflow.Ping(4));
        Assert.That(e!.StepName, Is.EqualTo("Loops.Ping"));
    }

    [Test]
    public void MaxLoops_AsyncRecursion_ThrowsPastTheCap()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Loops>();

        var e = Assert.ThrowsAsync<MaxLoopsExceededException>(() => workflow.CountdownAsync(5));
        Assert.That(e!.MaxLoops, Is.EqualTo(3));
    }

    [Test]
    public async Task MaxLoops_AsyncRecursionWithinTheCap_Succeeds()
    {
        using var runtime = new Runtime(new SampleChatClient());
        Assert.That(await Steps.Create<Loops>().CountdownAsync(2), Is.EqualTo(2));
    }

    [Test]
    public void MaxLoops_CountsPerRun_NotPerProcess()
    {
        var workflow = Steps.Create<Loops>();
        for (int run = 0; run < 3; run++)
        {
            using var runtime = new Runtime(new SampleChatClient());
            workflow.Once(1);
            workflow.Once(2);
            Assert.Throws<MaxLoopsExceededException>(() => workflow.Once(3));
        }
    }
}
