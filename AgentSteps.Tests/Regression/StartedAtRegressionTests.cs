namespace AgentSteps.Tests.Regression;

/// <summary>
/// ExecutedStep.StartedAt is derived from the run's start and the clock's timestamps; its values and order must still be
/// those of the configured clock, fake or system.
/// </summary>
public class StartedAtRegressionTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public abstract class Work
    {
        public Action? BeforeEach { get; set; }

        [Step]
        public virtual string Leaf(string x)
        {
            BeforeEach?.Invoke();
            return x;
        }

        [Step]
        public virtual string Parent()
        {
            BeforeEach?.Invoke();
            var a = Leaf("a");
            var b = Leaf("b");
            return a + b;
        }

        [Step]
        public virtual async Task<string> ParentAsync()
        {
            await Task.Yield();
            BeforeEach?.Invoke();
            var a = await Task.Run(() => Leaf("a"));
            return a + Leaf("b");
        }
    }

    /// <summary>A clock whose wall time and timestamps move together, only when told.</summary>
    private sealed class SteppingClock(DateTimeOffset start, long frequency) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => frequency;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => start + TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public override long GetTimestamp() => (long)(Interlocked.Read(ref _ticks) * (frequency / (double)TimeSpan.TicksPerSecond));
    }

    /// <summary>
    /// A fake wall clock that overrides only <see cref="TimeProvider.GetUtcNow"/>, as many test clocks do; timestamps stay
    /// the system's high-resolution ones (the base class's).
    /// </summary>
    private sealed class WallClockOnly(DateTimeOffset start) : TimeProvider
    {
        private long _ticks;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => start + TimeSpan.FromTicks(Interlocked.Read(ref _ticks));
    }

    [TestCase(TimeSpan.TicksPerSecond)]
    [TestCase(1_000_000_000L)]
    [TestCase(1_000L)]
    public void FakeClock_StepStartsAreTheClocksTimes_InCallOrder(long frequency)
    {
        var clock = new SteppingClock(Start, frequency);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new SampleChatClient(), TimeProvider = clock });
        var work = Steps.Create<Work>();
        work.BeforeEach = () => clock.Advance(TimeSpan.FromSeconds(10));

        clock.Advance(TimeSpan.FromMinutes(1));
        work.Parent();

        var parent = runtime.RootSteps.Single();
        var leaves = parent.Children;
        Assert.Multiple(() =>
        {
            Assert.That(runtime.StartedAt, Is.EqualTo(Start));
            Assert.That(parent.StartedAt, Is.EqualTo(Start + TimeSpan.FromMinutes(1)));
            Assert.That(leaves[0].StartedAt, Is.EqualTo(Start + TimeSpan.FromSeconds(70)));
            Assert.That(leaves[1].StartedAt, Is.EqualTo(Start + TimeSpan.FromSeconds(80)));
            Assert.That(leaves[0].Duration, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(parent.Duration, Is.EqualTo(TimeSpan.FromSeconds(30)));
        });
    }

    [Test]
    public void FakeClock_TwoRunsOnOneClock_StepsCarryTheClocksTimeNotTheRunsStart()
    {
        var clock = new SteppingClock(Start, TimeSpan.TicksPerSecond);
        var options = new RuntimeOptions { ChatClient = new SampleChatClient(), TimeProvider = clock };
        var work = Steps.Create<Work>();
        using (new Runtime(options))
        {
            work.Leaf("first");
        }

        clock.Advance(TimeSpan.FromHours(1));
        using var second = new Runtime(options);
        clock.Advance(TimeSpan.FromHours(1));
        work.Leaf("second");

        Assert.That(second.StartedAt, Is.EqualTo(Start + TimeSpan.FromHours(1)));
        Assert.That(second.ExecutedSteps.Single().StartedAt, Is.EqualTo(Start + TimeSpan.FromHours(2)));
    }

    [Test]
    public void WallClockOnlyFake_StepStartedAt_FollowsTheFakeWallClock()
    {
        var clock = new WallClockOnly(Start);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new SampleChatClient(), TimeProvider = clock });
        var work = Steps.Create<Work>();

        clock.Advance(TimeSpan.FromDays(1));
        work.Leaf("x");

        var step = runtime.ExecutedSteps.Single();
        Assert.That(runtime.StartedAt, Is.EqualTo(Start));
        Assert.That(step.StartedAt, Is.EqualTo(Start + TimeSpan.FromDays(1)).Within(TimeSpan.FromSeconds(5)),
            "the step started a day after the run by the configured clock");
        Assert.That(runtime.ToJson(), Does.Contain("2026-03-05T05:06"));
    }

    [Test]
    public async Task FakeClock_AsyncAndTaskRunSteps_StartInOrder()
    {
        var clock = new SteppingClock(Start, TimeSpan.TicksPerSecond);
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new SampleChatClient(), TimeProvider = clock });
        var work = Steps.Create<Work>();
        work.BeforeEach = () => clock.Advance(TimeSpan.FromSeconds(1));

        await work.ParentAsync();

        var parent = runtime.RootSteps.Single();
        Assert.That(parent.StartedAt, Is.EqualTo(Start));
        Assert.That(parent.Children.Select(c => c.StartedAt), Is.EqualTo(new[] { Start + TimeSpan.FromSeconds(1), Start + TimeSpan.FromSeconds(2) }));
        Assert.That(parent.Children.Select(c => c.StartedAt), Is.Ordered);
    }

    [Test]
    public void SystemClock_StepStartedAt_IsCloseToUtcNow_AndOrdered()
    {
        var before = DateTimeOffset.UtcNow;
        using var runtime = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();

        work.Parent();
        var after = DateTimeOffset.UtcNow;

        var steps = runtime.ExecutedSteps.OrderBy(s => s.Sequence).ToArray();
        foreach (var step in steps)
        {
            Assert.That(step.StartedAt, Is.InRange(before.AddMilliseconds(-50), after.AddMilliseconds(50)));
            Assert.That(step.StartedAt.Offset, Is.EqualTo(TimeSpan.Zero));
            Assert.That(step.StartedAt, Is.GreaterThanOrEqualTo(runtime.StartedAt));
            Assert.That(step.StartedAt + step.Duration, Is.LessThanOrEqualTo(after.AddMilliseconds(50)));
        }

        Assert.That(steps.Select(s => s.StartedAt), Is.Ordered);
        var again = runtime.ExecutedSteps.OrderBy(s => s.Sequence).Select(s => s.StartedAt);
        Assert.That(again, Is.EqualTo(steps.Select(s => s.StartedAt)), "stable when read again");
    }

    [Test]
    public void SystemClock_RuntimeStartedAt_IsUtcNow()
    {
        var before = DateTimeOffset.UtcNow;
        using var runtime = new Runtime(new SampleChatClient());
        var after = DateTimeOffset.UtcNow;

        Assert.That(runtime.StartedAt, Is.InRange(before, after));
    }
}
