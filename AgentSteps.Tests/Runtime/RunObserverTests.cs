using AgentSteps.Tests.TestDoubles;

namespace AgentSteps.Tests;

public class RunObserverTests
{
    private static readonly AsyncLocal<string?> s_flowMark = new();

    public abstract class Nested
    {
        [Step]
        public virtual string Outer(string x)
        {
            s_flowMark.Value = "inside Outer";
            return Inner(x) + Inner(x + "2");
        }

        [Step]
        public virtual string Inner(string x) => x == "boom" ? throw new InvalidOperationException("boom") : x.ToUpperInvariant();

        [Step]
        public virtual async Task<string> OuterAsync(string x)
        {
            var parts = await Task.WhenAll(InnerAsync(x + "1"), InnerAsync(x + "2"));
            return string.Join(",", parts);
        }

        [Step]
        public virtual async Task<string> InnerAsync(string x)
        {
            await Task.Yield();
            return x;
        }
    }

    [Test]
    public void Observers_AreToldOfEveryStepInOrder_AndOfTheRunAtDispose()
    {
        var observer = new LogObserver();
        var options = new RuntimeOptions();
        options.Observers.Add(observer);
        Runtime run;
        using (run = new Runtime(options))
        {
            Steps.Create<Nested>().Outer("a");
            Assert.That(observer.Events, Has.No.Member("run completed"));
        }

        Assert.That(observer.Events, Is.EqualTo(new[]
        {
            "started Outer:1",
            "started Outer:1/Inner:1",
            "completed Outer:1/Inner:1 A",
            "started Outer:1/Inner:2",
            "completed Outer:1/Inner:2 A2",
            "completed Outer:1 AA2",
            "run completed",
        }));
        Assert.That(observer.Runs, Is.EqualTo(new[] { run }));
    }

    [Test]
    public void Observers_AreToldOfFailedSteps()
    {
        var observer = new LogObserver();
        var options = new RuntimeOptions();
        options.Observers.Add(observer);
        using var runtime = new Runtime(options);

        Assert.Throws<InvalidOperationException>(() => Steps.Create<Nested>().Inner("boom"));

        Assert.That(observer.Events, Is.EqualTo(new[] { "started Inner:1", "failed Inner:1 InvalidOperationException" }));
    }

    [Test]
    public void Observers_RunOnTheFlowThatRanTheStep()
    {
        var seen = new List<string?>();
        var observer = new LogObserver { OnStarted = step => seen.Add(step.Name + ": " + s_flowMark.Value) };
        var options = new RuntimeOptions();
        options.Observers.Add(observer);
        using var runtime = new Runtime(options);

        Steps.Create<Nested>().Outer("a");

        Assert.That(seen, Is.EqualTo(new[] { "Outer: ", "Inner: inside Outer", "Inner: inside Outer" }));
    }

    [Test]
    public void Observer_ThatThrows_IsLoggedAndIgnored()
    {
        var logger = new ListLogger();
        var lines = new List<string>();
        var after = new LogObserver();
        var options = new RuntimeOptions { Logger = logger, Log = lines.Add };
        options.Observers.Add(new ThrowingObserver());
        options.Observers.Add(after);
        string result;
        using (var runtime = new Runtime(options))
        {
            result = Steps.Create<Nested>().Outer("a");
            Assert.That(runtime.ExecutedSteps, Has.All.Matches<ExecutedStep>(s => s.Succeeded));
        }

        Assert.That(result, Is.EqualTo("AA2"));
        Assert.That(after.Events, Has.Count.EqualTo(7), "the next observer is still told");
        var failures = logger.Entries.Where(e => e.EventId.Name == "ObserverFailed").ToList();
        Assert.That(failures, Has.Count.EqualTo(7), "3 starts, 3 ends, 1 run end");
        Assert.That(lines, Has.Some.Contain("Observer ThrowingObserver.OnStepStarted threw InvalidOperationException: observer broke; ignored."));
    }

    [Test]
    public void Observer_ThatThrows_DoesNotReplaceTheStepsOwnException()
    {
        var options = new RuntimeOptions();
        options.Observers.Add(new ThrowingObserver());
        using var runtime = new Runtime(options);

        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<Nested>().Inner("boom"));

        Assert.That(e!.Message, Is.EqualTo("boom"));
    }

    [Test]
    public async Task Observers_OfParallelSteps_SeeEachStartBeforeItsEnd()
    {
        var observer = new LogObserver();
        var options = new RuntimeOptions();
        options.Observers.Add(observer);
        using (var runtime = new Runtime(options))
        {
            await Steps.Create<Nested>().OuterAsync("x");
        }

        var events = observer.Events;
        Assert.That(events[0], Is.EqualTo("started OuterAsync:1"));
        Assert.That(events[^2], Is.EqualTo("completed OuterAsync:1 x1,x2"));
        foreach (var key in new[] { "OuterAsync:1/InnerAsync:1", "OuterAsync:1/InnerAsync:2" })
        {
            Assert.That(events.IndexOf("started " + key), Is.LessThan(events.FindIndex(e => e.StartsWith("completed " + key, StringComparison.Ordinal))));
        }
    }

    private sealed class LogObserver : IRunObserver
    {
        private readonly List<string> _events = [];

        public Action<ExecutedStep>? OnStarted { get; init; }

        public List<Runtime> Runs { get; } = [];

        public List<string> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public void OnStepStarted(ExecutedStep step)
        {
            OnStarted?.Invoke(step);
            Add("started " + step.Key);
        }

        public void OnStepCompleted(ExecutedStep step) =>
            Add(step.Succeeded ? $"completed {step.Key} {step.Result}" : $"failed {step.Key} {step.Exception!.GetType().Name}");

        public void OnRunCompleted(Runtime run)
        {
            Runs.Add(run);
            Add("run completed");
        }

        private void Add(string text)
        {
            lock (_events)
            {
                _events.Add(text);
            }
        }
    }

    private sealed class ThrowingObserver : IRunObserver
    {
        public void OnStepStarted(ExecutedStep step) => throw new InvalidOperationException("observer broke");

        public void OnStepCompleted(ExecutedStep step) => throw new InvalidOperationException("observer broke");

        public void OnRunCompleted(Runtime run) => throw new InvalidOperationException("observer broke");
    }
}
