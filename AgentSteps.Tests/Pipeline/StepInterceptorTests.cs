namespace AgentSteps.Tests;

public class StepInterceptorTests
{
    public abstract class Shapes
    {
        public List<string> Calls { get; } = [];

        [Step]
        public virtual int Sync(int x) => x * 2;

        [Step]
        public virtual void Void(string note) => Calls.Add(note);

        [Step]
        public virtual async Task Task(string note)
        {
            await System.Threading.Tasks.Task.Yield();
            Calls.Add(note);
        }

        [Step]
        public virtual async Task<int> TaskOfT(int x)
        {
            await System.Threading.Tasks.Task.Yield();
            return x + 1;
        }

        [Step]
        public virtual async ValueTask ValueTask(string note)
        {
            await System.Threading.Tasks.Task.Yield();
            Calls.Add(note);
        }

        [Step]
        public virtual async ValueTask<string> ValueTaskOfT(string x)
        {
            await System.Threading.Tasks.Task.Yield();
            return x.ToUpperInvariant();
        }

        [Step]
        public virtual Task<int> CompletedTask(int x) => System.Threading.Tasks.Task.FromResult(x);

        [Step]
        public virtual int Throws(string message) => throw new InvalidOperationException(message);

        [Step]
        public virtual async Task<int> ThrowsAsync(string message)
        {
            await System.Threading.Tasks.Task.Yield();
            throw new InvalidOperationException(message);
        }

        [Step]
        public virtual int Outer(int x) => Inner(x) + Inner(x + 1);

        [Step]
        public virtual int Inner(int x) => x * 10;

        public virtual int NotAStep(int x) => x;

        [Step]
        public virtual T Generic<T>(T value) => value;
    }

    [Test]
    public async Task Intercept_EveryReturnShape_RunsBodyAndRecordsResult()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Shapes>();

        Assert.That(workflow.Sync(21), Is.EqualTo(42));
        workflow.Void("void");
        await workflow.Task("task");
        Assert.That(await workflow.TaskOfT(1), Is.EqualTo(2));
        await workflow.ValueTask("valuetask");
        Assert.That(await workflow.ValueTaskOfT("abc"), Is.EqualTo("ABC"));
        Assert.That(await workflow.CompletedTask(7), Is.EqualTo(7));

        Assert.That(workflow.Calls, Is.EqualTo(new[] { "void", "task", "valuetask" }));
        var steps = runtime.ExecutedSteps;
        Assert.That(steps.Select(s => s.Name), Is.EqualTo(new[] { "Sync", "Void", "Task", "TaskOfT", "ValueTask", "ValueTaskOfT", "CompletedTask" }));
        Assert.That(steps.Select(s => s.Result), Is.EqualTo(new object?[] { 42, null, null, 2, null, "ABC", 7 }));
        Assert.That(steps.All(s => s.Succeeded && s.Kind == StepKind.Code), Is.True);
    }

    [Test]
    public void Intercept_SyncStepThrows_PropagatesTheSameExceptionAndRecordsIt()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Shapes>();

        var e = Assert.Throws<InvalidOperationException>(() => workflow.Throws("boom"));
        Assert.That(e!.Message, Is.EqualTo("boom"));
        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Exception, Is.SameAs(e));
        Assert.That(step.Succeeded, Is.False);
        Assert.That(step.Result, Is.Null);
    }

    [Test]
    public void Intercept_AsyncStepThrows_FaultsTheTaskAndRecordsIt()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Shapes>();

        var e = Assert.ThrowsAsync<InvalidOperationException>(() => workflow.ThrowsAsync("async boom"));
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.SameAs(e));
    }

    [Test]
    public void Intercept_StepCallingStepsThroughThis_InterceptsTheInnerCalls()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Shapes>();

        Assert.That(workflow.Outer(1), Is.EqualTo(30));

        var outer = runtime.RootSteps.Single();
        Assert.That(outer.Name, Is.EqualTo("Outer"));
        Assert.That(outer.Children.Select(c => (c.Name, c.Arguments["x"])), Is.EqualTo(new[] { ("Inner", (object?)1), ("Inner", (object?)2) }));
        Assert.That(outer.Children.All(c => c.Parent == outer), Is.True);
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "Inner", "Inner", "Outer" }), "completion order");
    }

    [Test]
    public void Intercept_VirtualMethodWithoutStep_IsNotRecorded()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Shapes>();

        Assert.That(workflow.NotAStep(5), Is.EqualTo(5));
        Assert.That(runtime.ExecutedSteps, Is.Empty);
    }

    [Test]
    public void Intercept_GenericCodeStep_IsRecorded()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Shapes>();

        Assert.That(workflow.Generic("x"), Is.EqualTo("x"));
        Assert.That(workflow.Generic(3), Is.EqualTo(3));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Result), Is.EqualTo(new object[] { "x", 3 }));
    }

    [Test]
    public void Intercept_NoRuntimeOpen_ThrowsSayingHowToOpenOne()
    {
        var workflow = Steps.Create<Shapes>();
        Assert.That(Runtime.Current, Is.Null);

        var e = Assert.Throws<InvalidOperationException>(() => workflow.Sync(1));
        Assert.That(e!.Message, Does.Contain("'Shapes.Sync' was called with no runtime open").And.Contain("using var runtime = new Runtime();"));
    }

    [Test]
    public void Pipeline_Stages_RunInOrderRecordThenLoopGuardThenMiddlewareThenBody()
    {
        var log = new List<string>();
        var options = new RuntimeOptions();
        options.Use(new RecordingStage(log, "outer"));
        options.Use(new RecordingStage(log, "inner"));
        using var runtime = new Runtime(options);
        var workflow = Steps.Create<Shapes>();

        workflow.Void("body");
        log.Add("returned");

        // User middleware runs inside recording and after the loop guard has counted the entry.
        Assert.That(log, Is.EqualTo(new[]
        {
            "outer before Void (loop: 1)",
            "inner before Void (loop: 1)",
            "inner after Void",
            "outer after Void",
            "returned",
        }));
        Assert.That(workflow.Calls, Is.EqualTo(new[] { "body" }));
        Assert.That(runtime.ExecutedSteps.Single().Loop, Is.EqualTo(1));
    }
}
