namespace AgentSteps.Tests.Regression;

/// <summary>
/// The ambient runtime and the running step share one async local: nested runtimes, async helpers, Task.Run, disposal
/// out of order, twice and from another flow, and parallel runs must keep their traces apart.
/// </summary>
public class AmbientRuntimeRegressionTests
{
    public abstract class Work
    {
        public Runtime? SeenInside { get; set; }

        public Runtime? SeenInInner { get; set; }

        public Runtime? SeenAfterInner { get; set; }

        public Runtime? Inner { get; set; }

        [Step]
        public virtual string Echo(string x) => x;

        [Step]
        public virtual async Task<string> EchoAsync(string x)
        {
            await Task.Yield();
            return x;
        }

        [Step]
        public virtual string SyncNested()
        {
            SeenInside = Runtime.Current;
            Echo("a");
            using (var inner = new Runtime(new SampleChatClient()))
            {
                Inner = inner;
                SeenInInner = Runtime.Current;
                Echo("in-1");
                Echo("in-2");
            }

            SeenAfterInner = Runtime.Current;
            return Echo("b");
        }

        [Step]
        public virtual async Task<string> AsyncNested()
        {
            await Task.Yield();
            SeenInside = Runtime.Current;
            await EchoAsync("a");
            using (var inner = new Runtime(new SampleChatClient()))
            {
                Inner = inner;
                await Task.Yield();
                SeenInInner = Runtime.Current;
                await EchoAsync("in-1");
                await Task.Run(() => EchoAsync("in-2"));
            }

            await Task.Yield();
            SeenAfterInner = Runtime.Current;
            return await EchoAsync("b");
        }

        [Step]
        public virtual async Task<int> FanOut(int n)
        {
            var tasks = Enumerable.Range(0, n).Select(i => Task.Run(() => Echo("t" + i))).ToArray();
            await Task.WhenAll(tasks);
            var asyncTasks = Enumerable.Range(0, n).Select(i => Task.Run(() => EchoAsync("u" + i))).ToArray();
            await Task.WhenAll(asyncTasks);
            return n;
        }

        [Step]
        public virtual string SyncTaskRun()
        {
            // A sync step that blocks on work started with Task.Run (which inherits the step as its parent).
            return Task.Run(() => Echo("from-task")).GetAwaiter().GetResult();
        }

        [Step]
        public virtual async Task<string> WithHelperRuntime()
        {
            var inner = await OpenInHelperAsync();
            try
            {
                // The helper's runtime did not flow back: this step's runtime is still the ambient one.
                SeenInside = Runtime.Current;
                return await EchoAsync("after-helper");
            }
            finally
            {
                inner.Dispose();
            }
        }

        [Step]
        public virtual async Task<string> UsesRuntimeInHelper()
        {
            var fromHelper = await RunInOwnRuntimeAsync(this);
            SeenAfterInner = Runtime.Current;
            return fromHelper + "+" + await EchoAsync("outer");
        }

        [Step(MaxLoops = 3)]
        public virtual int Recurse(int n) => n <= 1 ? 1 : 1 + Recurse(n - 1);

        [Step]
        public virtual async Task<int> RunInParallel(int id, int depth)
        {
            await Task.Yield();
            if (depth == 0)
            {
                return id;
            }

            var results = await Task.WhenAll(RunInParallel(id, depth - 1), RunInParallel(id, depth - 1));
            Echo($"{id}:{depth}");
            return results[0] + results[1];
        }

        private static async Task<Runtime> OpenInHelperAsync()
        {
            await Task.Yield();
            return new Runtime(new SampleChatClient());
        }

        private static async Task<string> RunInOwnRuntimeAsync(Work work)
        {
            using var own = new Runtime(new SampleChatClient());
            work.Inner = own;
            await Task.Yield();
            work.SeenInInner = Runtime.Current;
            return await work.EchoAsync("helper");
        }
    }

    [Test]
    public void SyncStep_OpensNestedRuntime_InnerStepsAreInnerRoots_OuterStepParentsAgainAfter()
    {
        using var outer = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();

        work.SyncNested();

        Assert.Multiple(() =>
        {
            Assert.That(work.SeenInside, Is.SameAs(outer));
            Assert.That(work.SeenInInner, Is.SameAs(work.Inner));
            Assert.That(work.SeenAfterInner, Is.SameAs(outer));
            Assert.That(work.Inner!.ExecutedSteps.Select(s => s.Key), Is.EqualTo(new[] { "Echo:1", "Echo:2" }));
            Assert.That(work.Inner.ExecutedSteps.All(s => s.Parent is null), Is.True);
            Assert.That(outer.RootSteps.Single().Children.Select(c => c.Key), Is.EqualTo(new[] { "SyncNested:1/Echo:1", "SyncNested:1/Echo:2" }));
            Assert.That(outer.ExecutedSteps, Has.Count.EqualTo(3));
            Assert.That(Runtime.Current, Is.SameAs(outer));
        });
    }

    [Test]
    public async Task AsyncStep_OpensNestedRuntime_AcrossAwaitsAndTaskRun()
    {
        using var outer = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();

        Assert.That(await work.AsyncNested(), Is.EqualTo("b"));

        Assert.Multiple(() =>
        {
            Assert.That(work.SeenInside, Is.SameAs(outer));
            Assert.That(work.SeenInInner, Is.SameAs(work.Inner));
            Assert.That(work.SeenAfterInner, Is.SameAs(outer));
            Assert.That(work.Inner!.ExecutedSteps.Select(s => s.Key).Order(), Is.EqualTo(new[] { "EchoAsync:1", "EchoAsync:2" }));
            Assert.That(work.Inner.ExecutedSteps.All(s => s.Parent is null), Is.True);
            Assert.That(outer.RootSteps.Single().Children.Select(c => c.Key), Is.EqualTo(new[] { "AsyncNested:1/EchoAsync:1", "AsyncNested:1/EchoAsync:2" }));
            Assert.That(outer.ExecutedSteps, Has.Count.EqualTo(3));
            Assert.That(Runtime.Current, Is.SameAs(outer));
        });
    }

    [Test]
    public async Task TaskRunInsideAStep_ChildrenAreParentedByTheStep_WithUniqueKeys()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();

        await work.FanOut(25);

        var root = runtime.RootSteps.Single();
        Assert.That(root.Children, Has.Count.EqualTo(50));
        Assert.That(root.Children.Select(c => c.Key).Distinct().Count(), Is.EqualTo(50));
        Assert.That(runtime.ExecutedSteps.Where(s => s != root).All(s => ReferenceEquals(s.Parent, root)), Is.True);
        Assert.That(root.Children.Where(c => c.Name == "Echo").Select(c => c.Ordinal).Order(), Is.EqualTo(Enumerable.Range(1, 25)));
    }

    [Test]
    public void SyncStep_BlockingOnTaskRun_ParentsTheTaskStep()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Assert.That(Steps.Create<Work>().SyncTaskRun(), Is.EqualTo("from-task"));

        Assert.That(runtime.RootSteps.Single().Children.Single().Key, Is.EqualTo("SyncTaskRun:1/Echo:1"));
    }

    [Test]
    public async Task RuntimeOpenedInAnAsyncHelper_DoesNotFlowBack_AndItsDisposalFromTheCallerIsQuiet()
    {
        using var outer = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();

        Assert.That(await work.WithHelperRuntime(), Is.EqualTo("after-helper"));

        Assert.That(work.SeenInside, Is.SameAs(outer));
        Assert.That(outer.RootSteps.Single().Children.Single().Key, Is.EqualTo("WithHelperRuntime:1/EchoAsync:1"));
        Assert.That(Runtime.Current, Is.SameAs(outer));
    }

    [Test]
    public async Task RuntimeUsedInsideAnAsyncHelperCalledFromAStep_RecordsItsStepsApart()
    {
        using var outer = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();

        Assert.That(await work.UsesRuntimeInHelper(), Is.EqualTo("helper+outer"));

        Assert.That(work.SeenInInner, Is.SameAs(work.Inner));
        Assert.That(work.SeenAfterInner, Is.SameAs(outer));
        Assert.That(work.Inner!.ExecutedSteps.Select(s => (s.Key, s.Parent)), Is.EqualTo(new[] { ("EchoAsync:1", (ExecutedStep?)null) }));
        Assert.That(outer.RootSteps.Single().Children.Select(c => c.Key), Is.EqualTo(new[] { "UsesRuntimeInHelper:1/EchoAsync:1" }));
    }

    [Test]
    public void OutOfOrderDispose_InsideAStep_Throws_AndTheInnerStaysAmbientUntilDisposed()
    {
        var outer = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();
        Runtime? inner = null;
        InvalidOperationException? outOfOrder = null;
        Runtime? currentAfterThrow = null;

        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Use((context, next) =>
        {
            if (context.Info.Name == "Recurse" && inner is null)
            {
                inner = new Runtime(new SampleChatClient());
                outOfOrder = Assert.Throws<InvalidOperationException>(outer.Dispose);
                currentAfterThrow = Runtime.Current;
                inner.Dispose();
            }

            return next(context);
        });
        using (var middle = new Runtime(options))
        {
            // The middleware runs inside a step of 'middle'; 'outer' is further out, so disposing it there is out of order.
            work.Recurse(1);
        }

        Assert.That(outOfOrder!.Message, Does.Contain("last-in-first-out"));
        Assert.That(currentAfterThrow, Is.SameAs(inner));
        Assert.That(Runtime.Current, Is.Null, "outer was disposed (out of order) and never comes back");
        Assert.DoesNotThrow(outer.Dispose, "a second dispose is harmless");
    }

    [Test]
    public void DoubleDispose_OfTheInner_DoesNotDisposeOrUnwindTheOuter()
    {
        using var outer = new Runtime(new SampleChatClient());
        var inner = new Runtime(new SampleChatClient());
        inner.Dispose();
        inner.Dispose();

        Assert.That(Runtime.Current, Is.SameAs(outer));
        Assert.That(Steps.Create<Work>().Echo("x"), Is.EqualTo("x"));
        Assert.That(outer.ExecutedSteps.Single().Key, Is.EqualTo("Echo:1"));
    }

    [Test]
    public async Task InnerDisposedFromAnotherFlow_CurrentFallsBackToTheOpenOuter()
    {
        using var outer = new Runtime(new SampleChatClient());
        var inner = new Runtime(new SampleChatClient());

        await Task.Run(inner.Dispose);

        Assert.That(Runtime.Current, Is.SameAs(outer));
        inner.Dispose();
        Assert.That(Runtime.Current, Is.SameAs(outer));
    }

    [Test]
    public async Task InnerUsingBlock_WhoseRuntimeAHelperDisposed_StepsAfterTheBlockRecordIntoTheOuter()
    {
        using var outer = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();
        using (var inner = new Runtime(new SampleChatClient()))
        {
            await work.EchoAsync("inner");
            await Task.Run(inner.Dispose); // a helper ends it early, from its own flow
        }

        Assert.That(await work.EchoAsync("outer"), Is.EqualTo("outer"), "the using block has ended: the outer runtime is ambient again");
        Assert.That(outer.ExecutedSteps.Single().Result, Is.EqualTo("outer"));
    }

    [Test]
    public async Task OuterDispose_AfterTheInnerWasDisposedFromAnotherFlow_IsNotOutOfOrder()
    {
        var outer = new Runtime(new SampleChatClient());
        var inner = new Runtime(new SampleChatClient());

        await Task.Run(inner.Dispose);
        inner.Dispose(); // harmless, and this flow's own dispose of the inner

        Assert.DoesNotThrow(outer.Dispose, "the inner one is disposed: disposing the outer one now is in order");
        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public async Task RuntimeDisposedFromAnotherFlowInsideAStep_CurrentInTheStepIsNeverTheDisposedRuntime()
    {
        using var outer = new Runtime(new SampleChatClient());
        Runtime? seen = null;
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Use(async (context, next) =>
        {
            await Task.Run(context.Runtime.Dispose);
            seen = Runtime.Current;
            return await next(context);
        });

        var inner = new Runtime(options);
        await Steps.Create<Work>().EchoAsync("x");

        Assert.That(seen, Is.SameAs(outer), "inside a step of the disposed runtime, Current is the open runtime around it");
        Assert.That(inner.ExecutedSteps.Single().Result, Is.EqualTo("x"), "a step already running completes");
        inner.Dispose();
        Assert.That(Runtime.Current, Is.SameAs(outer));
    }

    [Test]
    public void CurrentAfterDispose_IsThePreviousRuntime_AndStepsRecordThere()
    {
        using var outer = new Runtime(new SampleChatClient());
        var work = Steps.Create<Work>();
        using (var inner = new Runtime(new SampleChatClient()))
        {
            work.Echo("inner");
            Assert.That(Runtime.Current, Is.SameAs(inner));
        }

        Assert.That(Runtime.Current, Is.SameAs(outer));
        work.Echo("outer");
        Assert.That(outer.ExecutedSteps.Select(s => s.Result), Is.EqualTo(new[] { "outer" }));
    }

    [Test]
    public async Task DisposeInsideOwnStep_StepStillRecorded_CurrentIsNotTheDisposedRuntimeAfter()
    {
        await Task.Yield();
        var runtime = new Runtime(new SampleChatClient());
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        Runtime? seenInStep = null;
        options.Use((context, next) =>
        {
            context.Runtime.Dispose();
            seenInStep = Runtime.Current;
            return next(context);
        });
        var own = new Runtime(options);

        Assert.That(Steps.Create<Work>().Echo("x"), Is.EqualTo("x"));

        Assert.That(seenInStep, Is.SameAs(runtime));
        Assert.That(own.ExecutedSteps.Single().Result, Is.EqualTo("x"));
        Assert.That(Runtime.Current, Is.SameAs(runtime));
        runtime.Dispose();
        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public async Task FiftyParallelRuns_EachWithItsOwnRuntime_KeepTheirTracesApart()
    {
        var work = Steps.Create<Work>();
        var runs = await Task.WhenAll(Enumerable.Range(0, 50).Select(async id =>
        {
            using var runtime = new Runtime(new SampleChatClient());
            await Task.Yield();
            var sum = await work.RunInParallel(id, 3);
            Assert.That(Runtime.Current, Is.SameAs(runtime));
            return (id, sum, runtime);
        }));

        Assert.That(Runtime.Current, Is.Null);
        var firstKeys = runs[0].runtime.ExecutedSteps.Select(s => s.Key).Order().ToArray();
        foreach (var (id, sum, runtime) in runs)
        {
            Assert.That(sum, Is.EqualTo(id * 8));
            var steps = runtime.ExecutedSteps;
            Assert.That(steps, Has.Count.EqualTo(15 + 7));
            Assert.That(steps.Where(s => s.Name == "RunInParallel").All(s => (int)s.Arguments["id"]! == id), Is.True, $"run {id} holds only its own steps");
            Assert.That(steps.Where(s => s.Name == "Echo").All(s => ((string)s.Arguments["x"]!).StartsWith(id + ":", StringComparison.Ordinal)), Is.True);
            Assert.That(steps.All(s => ReferenceEquals(s.Owner, runtime)), Is.True);
            Assert.That(runtime.RootSteps, Has.Count.EqualTo(1));
            Assert.That(steps.Select(s => s.Key).Order(), Is.EqualTo(firstKeys), "the same code gives the same keys in every run");
        }
    }

    [Test]
    public async Task FiftyParallelRuns_StartedFromOneFlowWithTaskRun_KeepTheirTracesApart()
    {
        var work = Steps.Create<Work>();
        var runs = await Task.WhenAll(Enumerable.Range(0, 50).Select(id => Task.Run(() =>
        {
            using var runtime = new Runtime(new SampleChatClient());
            work.Recurse(3);
            return (id, runtime);
        })));

        foreach (var (_, runtime) in runs)
        {
            Assert.That(runtime.ExecutedSteps.Select(s => s.Loop), Is.EqualTo(new[] { 3, 2, 1 }));
            Assert.That(runtime.ExecutedSteps.Select(s => s.Key), Is.EqualTo(new[] { "Recurse:1/Recurse:1/Recurse:1", "Recurse:1/Recurse:1", "Recurse:1" }));
        }
    }
}
