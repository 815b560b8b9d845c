namespace AgentSteps.Tests;

public class RuntimeLifetimeTests
{
    public abstract class Work
    {
        [Step]
        public virtual string Echo(string x) => x;

        [Step]
        public virtual string Outer()
        {
            Echo("before");
            using (var inner = new Runtime(new SampleChatClient()))
            {
                Echo("inside");
                Inner = inner;
            }

            return Echo("after");
        }

        public Runtime? Inner { get; private set; }
    }

    [Test]
    public void Dispose_OuterBeforeInner_ThrowsAndNeverLeavesTheDisposedRuntimeAmbient()
    {
        var outer = new Runtime(new SampleChatClient());
        var inner = new Runtime(new SampleChatClient());

        var e = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.That(e!.Message, Does.Contain("last-in-first-out"));
        Assert.That(Runtime.Current, Is.SameAs(inner), "the inner runtime stays ambient until it is disposed");

        inner.Dispose();

        Assert.That(Runtime.Current, Is.Null, "the disposed outer runtime does not come back");
        Assert.Throws<InvalidOperationException>(() => Steps.Create<Work>().Echo("x"), "no runtime is open any more");
        Assert.That(outer.ExecutedSteps, Is.Empty);
    }

    [Test]
    public void RuntimeOpenedInsideAStep_RecordsItsOwnSteps_AndTheStepIsTheParentAgainAfterIt()
    {
        using var outer = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();

        work.Outer();

        Assert.That(work.Inner!.ExecutedSteps.Select(s => (s.Key, s.Parent)), Is.EqualTo(new[] { ("Echo:1", (ExecutedStep?)null) }));
        var root = outer.RootSteps.Single();
        Assert.That(root.Children.Select(c => c.Key), Is.EqualTo(new[] { "Outer:1/Echo:1", "Outer:1/Echo:2" }));
        Assert.That(Runtime.Current, Is.SameAs(outer));
    }

    [Test]
    public void Dispose_Twice_IsHarmless()
    {
        var runtime = new Runtime(new SampleChatClient());
        runtime.Dispose();
        Assert.DoesNotThrow(runtime.Dispose);
        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public async Task StepStartedAfterItsRuntimeWasDisposed_ThrowsObjectDisposedException()
    {
        var release = new TaskCompletionSource();
        Task<string> late;
        var workflow = Steps.Create<Work>();
        using (var runtime = new Runtime(new SampleChatClient()))
        {
            // The task's flow keeps the runtime it started under, after the using block has ended.
            late = Task.Run(async () =>
            {
                await release.Task;
                return workflow.Echo("late");
            });
        }

        release.SetResult();
        var e = Assert.ThrowsAsync<ObjectDisposedException>(async () => await late);
        Assert.That(e!.ObjectName, Does.Contain("Runtime"));
        Assert.That(e.Message, Does.Contain("Step 'Work.Echo' was called on a runtime that has been disposed"));
        await Task.CompletedTask;
    }

    [Test]
    public void TimeProvider_StampsStartsAndDurations()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var options = new RuntimeOptions { TimeProvider = clock };
        options.Use((context, next) =>
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            return next(context);
        });
        using var runtime = new Runtime(options);

        Steps.Create<Work>().Echo("x");

        var step = runtime.ExecutedSteps.Single();
        Assert.That(runtime.StartedAt, Is.EqualTo(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        Assert.That(step.StartedAt, Is.EqualTo(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        Assert.That(step.Duration, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(runtime.ToJson(), Does.Contain("2026-01-02T03:04:05"));
    }

    [Test]
    public void TimeProvider_Null_IsRejected()
    {
        Assert.Throws<ArgumentNullException>(() => _ = new RuntimeOptions { TimeProvider = null! });
    }

    /// <summary>A clock that moves only when told, for exact timestamps and durations.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => start + TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    }
}
