using System.Collections.Concurrent;

namespace AgentSteps.Tests.Regression;

/// <summary>
/// The entry count is taken as a step starts (under the lock that numbers it), the loop guard only compares it; code
/// bodies run under a lock when middleware may call next in parallel.
/// </summary>
public class LoopAndPipelineRegressionTests
{
    public abstract class Loops
    {
        private int _bodyRuns;

        public int BodyRuns => _bodyRuns;

        [Step(MaxLoops = 3)]
        public virtual int Down(int n)
        {
            Interlocked.Increment(ref _bodyRuns);
            return n == 0 ? 0 : 1 + Down(n - 1);
        }

        [Step(MaxLoops = 3)]
        public virtual async Task<int> DownAsync(int n)
        {
            Interlocked.Increment(ref _bodyRuns);
            await Task.Yield();
            return n == 0 ? 0 : 1 + await DownAsync(n - 1);
        }

        [Step(MaxLoops = 4)]
        public virtual async Task<int> Tree(int depth)
        {
            Interlocked.Increment(ref _bodyRuns);
            await Task.Yield();
            if (depth == 0)
            {
                return 1;
            }

            var parts = await Task.WhenAll(Tree(depth - 1), Tree(depth - 1));
            return parts.Sum();
        }

        [Step(MaxLoops = 2)]
        public virtual string Twice(string x)
        {
            Interlocked.Increment(ref _bodyRuns);
            return x;
        }

        [Step]
        public virtual string Flaky(string x)
        {
            if (Interlocked.Increment(ref _bodyRuns) < 3)
            {
                throw new TimeoutException("try again");
            }

            return x + _bodyRuns;
        }

        [Step]
        public virtual Task<string> CompletedAsync(string x) => Task.FromResult(x);

        [Step]
        public virtual async Task<string> SlowAsync(string x)
        {
            Interlocked.Increment(ref _bodyRuns);
            await Task.Yield();
            return x + "!";
        }
    }

    private sealed class StartRecorder : IRunObserver
    {
        public ConcurrentQueue<(string Key, int Loop, string Name)> Started { get; } = new();

        public ConcurrentQueue<(string Key, int Loop, bool Failed)> Completed { get; } = new();

        public void OnStepStarted(ExecutedStep step) => Started.Enqueue((step.Key, step.Loop, step.Name));

        public void OnStepCompleted(ExecutedStep step) => Completed.Enqueue((step.Key, step.Loop, step.Exception is not null));
    }

    [Test]
    public void MaxLoops_SyncRecursion_CountsEntriesAndStopsAtTheCap()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var loops = Steps.Create<Loops>();

        Assert.That(loops.Down(2), Is.EqualTo(2));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Loop), Is.EqualTo(new[] { 3, 2, 1 }));

        var e = Assert.Throws<MaxLoopsExceededException>(() => loops.Down(0), "a fourth entry in the same run");
        Assert.That(e!.MaxLoops, Is.EqualTo(3));
        Assert.That(loops.BodyRuns, Is.EqualTo(3), "the refused entry never ran its body");
        Assert.That(runtime.ExecutedSteps[^1].Loop, Is.EqualTo(4));
    }

    [Test]
    public void MaxLoops_SeparateRuns_CountSeparately()
    {
        var loops = Steps.Create<Loops>();
        for (int i = 0; i < 3; i++)
        {
            using var runtime = new Runtime(new SampleChatClient());
            Assert.That(loops.Down(2), Is.EqualTo(2));
        }
    }

    [Test]
    public void MaxLoops_NestedRuntimeInsideAStep_CountsItsOwnEntries()
    {
        using var outer = new Runtime(new SampleChatClient());
        var loops = Steps.Create<Loops>();
        loops.Twice("a");
        loops.Twice("b");
        using (var inner = new Runtime(new SampleChatClient()))
        {
            Assert.That(loops.Twice("c"), Is.EqualTo("c"), "the inner run has its own count");
            Assert.That(inner.ExecutedSteps.Single().Loop, Is.EqualTo(1));
        }

        Assert.Throws<MaxLoopsExceededException>(() => loops.Twice("d"));
    }

    [Test]
    public void MaxLoops_AsyncRecursion_PastTheCapThrows_WithinTheCapSucceeds()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var loops = Steps.Create<Loops>();

        Assert.That(loops.DownAsync(2).GetAwaiter().GetResult(), Is.EqualTo(2));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Loop), Is.EqualTo(new[] { 3, 2, 1 }));
    }

    [Test]
    public void MaxLoops_AsyncRecursionPastTheCap_Throws()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var loops = Steps.Create<Loops>();

        var e = Assert.ThrowsAsync<MaxLoopsExceededException>(() => loops.DownAsync(10));
        Assert.That(e!.MaxLoops, Is.EqualTo(3));
        Assert.That(loops.BodyRuns, Is.EqualTo(3));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Loop).Order(), Is.EqualTo(new[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void MaxLoops_ParallelEntries_EachEntryNumberOnce_AndExactlyTheCapRun()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var loops = Steps.Create<Loops>();

        // 1 + 2 + 4 entries wanted, cap 4: three are refused, whichever they are.
        Assert.CatchAsync<MaxLoopsExceededException>(() => loops.Tree(2));

        var loopsSeen = runtime.ExecutedSteps.Select(s => s.Loop).Order().ToArray();
        Assert.That(loopsSeen.Distinct().Count(), Is.EqualTo(loopsSeen.Length), "no two entries share a number");
        Assert.That(loops.BodyRuns, Is.EqualTo(4));
        Assert.That(runtime.ExecutedSteps.Count(s => s.Exception is MaxLoopsExceededException && s.Loop > 4), Is.GreaterThan(0));
        Assert.That(runtime.ExecutedSteps.Where(s => s.Loop <= 4).All(s => s.Exception is null or MaxLoopsExceededException), Is.True);
    }

    [Test]
    public void Observer_SeesLoopAndKey_AtOnStepStarted()
    {
        var observer = new StartRecorder();
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Observers.Add(observer);
        using var runtime = new Runtime(options);

        Steps.Create<Loops>().Down(2);

        Assert.That(observer.Started, Is.EqualTo(new[]
        {
            ("Down:1", 1, "Down"),
            ("Down:1/Down:1", 2, "Down"),
            ("Down:1/Down:1/Down:1", 3, "Down"),
        }));
        Assert.That(observer.Completed.Select(c => (c.Key, c.Loop)), Is.EqualTo(new[]
        {
            ("Down:1/Down:1/Down:1", 3),
            ("Down:1/Down:1", 2),
            ("Down:1", 1),
        }));
    }

    [Test]
    public void Observer_SeesTheRefusedEntry_StartAndFail()
    {
        var observer = new StartRecorder();
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Observers.Add(observer);
        using var runtime = new Runtime(options);

        Assert.Throws<MaxLoopsExceededException>(() => Steps.Create<Loops>().Down(5));

        Assert.That(observer.Started.Select(s => s.Loop), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(observer.Completed.First(), Is.EqualTo(("Down:1/Down:1/Down:1/Down:1", 4, true)));
    }

    [Test]
    public void Middleware_ShortCircuit_StillCountsTheEntry_AndRecordsTheResult()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Use((context, next) => context.Info.Name == "Twice" ? ValueTask.FromResult<object?>("cached") : next(context));
        using var runtime = new Runtime(options);
        var loops = Steps.Create<Loops>();

        Assert.That(loops.Twice("a"), Is.EqualTo("cached"));
        Assert.That(loops.Twice("b"), Is.EqualTo("cached"));
        Assert.Throws<MaxLoopsExceededException>(() => loops.Twice("c"), "a short-circuited call is an entry too");

        Assert.That(loops.BodyRuns, Is.Zero);
        Assert.That(runtime.ExecutedSteps.Select(s => (s.Loop, s.Result)), Is.EqualTo(new[] { (1, (object?)"cached"), (2, "cached"), (3, null) }));
    }

    [Test]
    public void Middleware_Retry_IsOneEntry_AndTheBodyRunsAgain()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Use(async (context, next) =>
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return await next(context);
                }
                catch (TimeoutException) when (attempt < 5)
                {
                }
            }
        });
        using var runtime = new Runtime(options);
        var loops = Steps.Create<Loops>();

        Assert.That(loops.Flaky("x"), Is.EqualTo("x3"));

        var step = runtime.ExecutedSteps.Single();
        Assert.That((step.Loop, step.Key, step.Result, step.Exception), Is.EqualTo((1, "Flaky:1", (object?)"x3", (Exception?)null)));
    }

    [Test]
    public async Task Middleware_ParallelNextOnAnAsyncCodeStep_EveryBranchGetsTheBodyResult()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        var branchResults = new ConcurrentBag<object?>();
        options.Use(async (context, next) =>
        {
            var branches = Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await next(context))).ToArray();
            foreach (var r in await Task.WhenAll(branches))
            {
                branchResults.Add(r);
            }

            return branchResults.First();
        });
        using var runtime = new Runtime(options);
        var loops = Steps.Create<Loops>();

        for (int i = 0; i < 50; i++)
        {
            Assert.That(await loops.SlowAsync("v" + i), Is.EqualTo("v" + i + "!"));
            Assert.That(branchResults.All(r => Equals(r, "v" + i + "!")), Is.True, $"call {i}: every branch read its own body's result");
            branchResults.Clear();
        }

        Assert.That(loops.BodyRuns, Is.EqualTo(400));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Loop), Is.EqualTo(Enumerable.Range(1, 50)));
    }

    [Test]
    public void Middleware_ParallelNextOnASyncCodeStep_EveryBranchGetsTheBodyResult()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Use(async (context, next) =>
        {
            var branches = Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await next(context))).ToArray();
            var results = await Task.WhenAll(branches);
            Assert.That(results.Distinct().Count(), Is.EqualTo(1));
            return results[0];
        });
        using var runtime = new Runtime(options);
        var loops = Steps.Create<Loops>();

        Assert.That(loops.Twice("s"), Is.EqualTo("s"));
        Assert.That(loops.BodyRuns, Is.EqualTo(8));
    }

    [Test]
    public async Task Middleware_AwaitingBeforeNext_OnAsyncCodeSteps_CallerAlwaysGetsThePipelineResult_AndNoCallHangs()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Use(async (context, next) =>
        {
            await Task.Yield(); // an async cache lookup, a rate limiter...
            return "mw:" + (string)(await next(context))!;
        });
        var loops = Steps.Create<Loops>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int calls = 0;
        while (calls < 40_000 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            using var runtime = new Runtime(options);
            var batch = Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => loops.CompletedAsync("v"))));
            string[] results;
            try
            {
                results = await batch.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"a step call never completed after {calls} calls");
                return;
            }

            Assert.That(results, Has.All.EqualTo("mw:v"), $"after {calls} calls, a caller got the body's own result past the middleware");
            calls += results.Length;
        }
    }

    public abstract class BaseSteps
    {
        [Step]
        public virtual Task<string> Which(string x) => Task.FromResult("base " + x);

        [Step]
        public virtual string Generic<T>(T value) => "generic " + value;

        [Step]
        protected virtual int Hidden(int x) => x * 2;

        [Step]
        public virtual int CallsHidden(int x) => Hidden(x);

        [Step]
        public virtual void Nothing(List<string> sink) => sink.Add("ran");

        [Step]
        public virtual string Fails() => throw new FormatException("body failed");
    }

    public abstract class DerivedSteps : BaseSteps
    {
        public override async Task<string> Which(string x)
        {
            await Task.Yield();
            return "derived " + await base.Which(x);
        }
    }

    [Test]
    public async Task Middleware_AwaitingBeforeNext_RunsTheMostDerivedBody_GenericProtectedVoidAndFailingOnes()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        options.Use(async (context, next) =>
        {
            await Task.Yield();
            return await next(context);
        });
        using var runtime = new Runtime(options);
        var steps = Steps.Create<DerivedSteps>();
        var sink = new List<string>();

        Assert.That(await steps.Which("x"), Is.EqualTo("derived base x"), "the override's body, which calls the base body once");
        Assert.That(steps.Generic(42), Is.EqualTo("generic 42"));
        Assert.That(steps.CallsHidden(21), Is.EqualTo(42));
        steps.Nothing(sink);
        Assert.That(sink, Is.EqualTo(new[] { "ran" }));
        var e = Assert.Throws<FormatException>(() => steps.Fails());
        Assert.That(e!.Message, Is.EqualTo("body failed"), "the body's exception as thrown, not wrapped");
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EquivalentTo(new[] { "Which", "Generic", "Hidden", "CallsHidden", "Nothing", "Fails" }));
    }
}
