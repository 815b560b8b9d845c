namespace AgentSteps.Tests.Adversarial;

public class ObserverAttackTests
{
    public abstract class Work
    {
        [Step]
        public virtual async Task<int> WaitAsync(Task gate)
        {
            await gate;
            return 1;
        }

        [Step]
        public virtual int Inner(int x) => x;

        [Step]
        public virtual int Outer(int x) => Inner(x) + Inner(x + 1);
    }

    private sealed class Recorder : IRunObserver
    {
        public List<string> Events { get; } = [];

        public void OnStepStarted(ExecutedStep step)
        {
            lock (Events)
            {
                Events.Add("start " + step.Key);
            }
        }

        public void OnStepCompleted(ExecutedStep step)
        {
            lock (Events)
            {
                Events.Add("end " + step.Key + (step.Succeeded ? string.Empty : " failed"));
            }
        }

        public void OnRunCompleted(Runtime run)
        {
            lock (Events)
            {
                Events.Add("run");
            }
        }
    }

    [Test]
    public void Observers_OfNestedSteps_SeeStartsAndEndsNested()
    {
        var recorder = new Recorder();
        var options = new RuntimeOptions();
        options.Observers.Add(recorder);
        using (new Runtime(options))
        {
            Steps.Create<Work>().Outer(1);
        }

        Assert.That(recorder.Events, Is.EqualTo(new[]
        {
            "start Outer:1", "start Outer:1/Inner:1", "end Outer:1/Inner:1", "start Outer:1/Inner:2", "end Outer:1/Inner:2", "end Outer:1", "run",
        }));
    }

    [Test]
    public async Task Observers_StepStillRunningWhenTheRunEnds_RunCompletedIsTheLastNotification()
    {
        var recorder = new Recorder();
        var options = new RuntimeOptions();
        options.Observers.Add(recorder);
        var gate = new TaskCompletionSource();
        Task<int> pending;
        var runtime = new Runtime(options);
        pending = Steps.Create<Work>().WaitAsync(gate.Task);
        runtime.Dispose();
        gate.SetResult();
        await pending;

        Assert.That(recorder.Events[^1], Is.EqualTo("run"), "IRunObserver is told of steps 'in order'; a step ending after the run ended breaks that");
    }
}

public class ObserverWithBrokenLogAttackTests
{
    public abstract class Work
    {
        [Step]
        public virtual int Twice(int x) => x * 2;
    }

    private sealed class Throwing : IRunObserver
    {
        public void OnStepStarted(ExecutedStep step) => throw new InvalidOperationException("observer broke");

        public void OnStepCompleted(ExecutedStep step) => throw new InvalidOperationException("observer broke");
    }

    [Test]
    public void Observer_ThatThrowsWhileTheLogHookThrowsToo_NeverChangesTheStep()
    {
        var options = new RuntimeOptions { Log = line => throw new IOException("log sink full") };
        options.Observers.Add(new Throwing());
        using var runtime = new Runtime(options);

        Assert.That(Steps.Create<Work>().Twice(2), Is.EqualTo(4), "an observer that throws never changes a run");
        Assert.That(runtime.ExecutedSteps.Single().Succeeded, Is.True);
    }
}
