namespace AgentSteps.Tests.Adversarial;

public class PipelineAttackTests
{
    public record Answer(string Text);

    public abstract class Numbers
    {
        public int BodyRuns { get; private set; }

        [Step]
        public virtual int Twice(int x)
        {
            BodyRuns++;
            return x * 2;
        }

        [Step]
        public virtual async Task<int> TwiceAsync(int x)
        {
            await Task.Yield();
            BodyRuns++;
            return x * 2;
        }

        [Step]
        public virtual string Name(string x) => x;

        [Step(Model = "gpt-4o-mini")]
        [Description("Answer briefly.")]
        public abstract Answer Ask(string question);
    }

    [Test]
    public void Use_MiddlewareReturnsWrongTypeForSyncStep_ClearErrorNamingTheStepAndTheStepRecordedAsFailed()
    {
        var options = new RuntimeOptions().Use((context, next) => new ValueTask<object?>("not an int"));
        using var runtime = new Runtime(options);

        var e = Assert.Catch(() => Steps.Create<Numbers>().Twice(1));

        Assert.That(e, Is.Not.InstanceOf<InvalidCastException>(), e!.ToString());
        Assert.That(e.Message, Does.Contain("Twice"));
        Assert.That(runtime.ExecutedSteps.Single().Succeeded, Is.False, "the caller did not get a result, so the trace must not say it succeeded");
    }

    [Test]
    public void Use_MiddlewareReturnsWrongTypeForAsyncStep_ClearErrorNamingTheStep()
    {
        var options = new RuntimeOptions().Use((context, next) => new ValueTask<object?>("not an int"));
        using var runtime = new Runtime(options);

        var e = Assert.CatchAsync(async () => await Steps.Create<Numbers>().TwiceAsync(1));

        Assert.That(e, Is.Not.InstanceOf<InvalidCastException>(), e!.ToString());
        Assert.That(e.Message, Does.Contain("TwiceAsync"));
        Assert.That(runtime.ExecutedSteps.Single().Succeeded, Is.False);
    }

    [Test]
    public void Use_MiddlewareReturnsNullForValueTypeAsyncStep_ClearErrorNotNullReference()
    {
        var options = new RuntimeOptions().Use((context, next) => new ValueTask<object?>((object?)null));
        using var runtime = new Runtime(options);

        var e = Assert.CatchAsync(async () => await Steps.Create<Numbers>().TwiceAsync(1));

        Assert.That(e, Is.Not.InstanceOf<NullReferenceException>(), e!.ToString());
        Assert.That(e.Message, Does.Contain("TwiceAsync"));
    }

    public enum Mood
    {
        Calm,
        Busy,
    }

    public abstract class Shapes
    {
        [Step]
        public virtual int? Maybe(int x) => x;

        [Step]
        public virtual Mood Feel(int x) => Mood.Calm;

        [Step]
        public virtual async Task<IComparable> CompareAsync(int x)
        {
            await Task.Yield();
            return x;
        }
    }

    [Test]
    public async Task Use_MiddlewareReturnsValuesTheCallerCanTake_AreAccepted()
    {
        object? answer = null;
        var options = new RuntimeOptions().Use((context, next) => new ValueTask<object?>(answer));
        using var runtime = new Runtime(options);
        var shapes = Steps.Create<Shapes>();

        answer = null;
        Assert.That(shapes.Maybe(1), Is.Null);
        answer = 5;
        Assert.That(shapes.Maybe(1), Is.EqualTo(5));
        answer = 1;
        Assert.That(shapes.Feel(1), Is.EqualTo(Mood.Busy), "an enum unboxes from its underlying type");
        answer = "text";
        Assert.That(await shapes.CompareAsync(1), Is.EqualTo("text"), "any value of the declared interface");
        Assert.That(runtime.ExecutedSteps, Has.All.Matches<ExecutedStep>(s => s.Succeeded));
    }

    [Test]
    public async Task Use_MiddlewareAwaitsBeforeNextOnSyncAndAsyncSteps_BodiesRunOnce()
    {
        var options = new RuntimeOptions().Use(async (context, next) =>
        {
            await Task.Yield();
            return await next(context);
        });
        using var runtime = new Runtime(options);
        var workflow = Steps.Create<Numbers>();

        Assert.That(workflow.Twice(2), Is.EqualTo(4));
        Assert.That(await workflow.TwiceAsync(3), Is.EqualTo(6));
        Assert.That(workflow.BodyRuns, Is.EqualTo(2));
    }

    [Test]
    public void Use_MiddlewareCallsAnotherStepBeforeNext_ItIsAChildOfTheStep()
    {
        Numbers? workflow = null;
        var options = new RuntimeOptions().Use(async (context, next) =>
        {
            if (context.Info.Name == nameof(Numbers.Twice))
            {
                workflow!.Name("side");
            }

            return await next(context);
        });
        using var runtime = new Runtime(options);
        workflow = Steps.Create<Numbers>();

        workflow.Twice(1);

        var twice = runtime.RootSteps.Single();
        Assert.That(twice.Children.Select(c => c.Key), Is.EqualTo(new[] { "Twice:1/Name:1" }));
    }

    [Test]
    public void Use_LlmStepRetriedByMiddleware_MessagesKeepBothAttempts()
    {
        var client = new ScriptedChatClient("""{"Text":"first"}""", """{"Text":"second"}""");
        var options = new RuntimeOptions { ChatClient = client }.Use(async (context, next) =>
        {
            var first = (Answer)(await next(context))!;
            return first.Text == "first" ? await next(context) : first;
        });
        using var runtime = new Runtime(options);

        Steps.Create<Numbers>().Ask("q");

        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.ModelCalls, Is.EqualTo(2));
        var replies = step.Messages.Where(m => m.Role == ChatRole.Assistant).Select(m => m.Text).ToArray();
        Assert.That(replies, Has.Length.EqualTo(2), "two model calls were made and answered, and Messages is 'the conversation as sent and received'");
    }

    [Test]
    public void Use_LlmStepWhoseClientThrowsThenSucceedsOnMiddlewareRetry_CountsBothCalls()
    {
        var client = new ScriptedChatClient()
            .Enqueue(_ => throw new HttpRequestException("boom"))
            .Enqueue("""{"Text":"ok"}""");
        var options = new RuntimeOptions { ChatClient = client }.Use(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (StepModelException)
            {
                return await next(context);
            }
        });
        using var runtime = new Runtime(options);

        Assert.That(Steps.Create<Numbers>().Ask("q").Text, Is.EqualTo("ok"));
        Assert.That(runtime.ExecutedSteps.Single().ModelCalls, Is.EqualTo(2));
    }

    [Test]
    public async Task Use_MiddlewareTouchesItemsFromParallelNextCalls_NothingIsLost()
    {
        var options = new RuntimeOptions().Use(async (context, next) =>
        {
            var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() => context.Items["k" + i] = i)).ToArray();
            await Task.WhenAll(tasks);
            return await next(context);
        });
        using var runtime = new Runtime(options);

        Assert.That(await Steps.Create<Numbers>().TwiceAsync(1), Is.EqualTo(2));
    }
}
