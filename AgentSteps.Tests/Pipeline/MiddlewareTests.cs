using System.ComponentModel;

namespace AgentSteps.Tests;

public class MiddlewareTests
{
    public record Answer(string Text);

    public abstract class Flaky
    {
        public int BodyRuns { get; private set; }

        public int FailuresLeft { get; set; }

        [Step]
        public virtual int Compute(int x)
        {
            BodyRuns++;
            if (FailuresLeft-- > 0)
            {
                throw new InvalidOperationException("transient");
            }

            return x * 10;
        }

        [Step]
        public virtual async Task<string> ComputeAsync(string x)
        {
            await Task.Yield();
            BodyRuns++;
            return x + "!";
        }

        [Step(Model = "gpt-4o-mini")]
        [Description("Answer briefly.")]
        public abstract Answer Ask(string question);
    }

    [Test]
    public void Use_MiddlewareShortCircuits_BodyDoesNotRunAndTheStepIsRecordedWithItsResult()
    {
        var options = new RuntimeOptions().Use((context, next) => new ValueTask<object?>(42));
        using var runtime = new Runtime(options);
        var workflow = Steps.Create<Flaky>();

        Assert.That(workflow.Compute(1), Is.EqualTo(42));

        Assert.That(workflow.BodyRuns, Is.Zero);
        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Result, Is.EqualTo(42));
        Assert.That(step.Loop, Is.EqualTo(1));
    }

    [Test]
    public void Use_MiddlewareCallsNextAgain_RetriesTheBodyAndRecordsOneStep()
    {
        var attempts = new List<int>();
        var options = new RuntimeOptions().Use(async (context, next) =>
        {
            for (int attempt = 1; ; attempt++)
            {
                attempts.Add(attempt);
                try
                {
                    return await next(context);
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                }
            }
        });
        using var runtime = new Runtime(options);
        var workflow = Steps.Create<Flaky>();
        workflow.FailuresLeft = 2;

        Assert.That(workflow.Compute(2), Is.EqualTo(20));

        Assert.That(attempts, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(workflow.BodyRuns, Is.EqualTo(3));
        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Succeeded, Is.True);
        Assert.That(step.Loop, Is.EqualTo(1), "a retry inside the step is not a new entry");
    }

    [Test]
    public async Task Use_MiddlewareAwaitsBeforeNext_TheBodyStillRuns()
    {
        var options = new RuntimeOptions().Use(async (context, next) =>
        {
            await Task.Yield();
            return await next(context);
        });
        using var runtime = new Runtime(options);
        var workflow = Steps.Create<Flaky>();

        Assert.That(workflow.Compute(3), Is.EqualTo(30));
        Assert.That(await workflow.ComputeAsync("a"), Is.EqualTo("a!"));
        Assert.That(workflow.BodyRuns, Is.EqualTo(2));
    }

    [Test]
    public void Use_MiddlewareReturnsTheWrongType_ThrowsNamingTheStepAndBothTypes()
    {
        var options = new RuntimeOptions().Use((context, next) => new ValueTask<object?>("not an int"));
        using var runtime = new Runtime(options);

        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<Flaky>().Compute(1));

        Assert.That(e!.Message, Does.Contain("Middleware returned a value of type 'string' for step 'Flaky.Compute', whose result type is 'int'"));
        Assert.That(runtime.ExecutedSteps.Single().Exception, Is.SameAs(e));
    }

    [Test]
    public async Task Use_MiddlewareReturnsNullForAnAsyncReferenceStep_IsAccepted()
    {
        var options = new RuntimeOptions().Use((context, next) => new ValueTask<object?>((object?)null));
        using var runtime = new Runtime(options);

        Assert.That(await Steps.Create<Flaky>().ComputeAsync("x"), Is.Null);
        Assert.Throws<InvalidOperationException>(() => Steps.Create<Flaky>().Compute(1), "null is no int");
    }

    [Test]
    public void Use_MiddlewareThrows_TheStepIsRecordedAsFailed()
    {
        var options = new RuntimeOptions().Use((context, next) => throw new InvalidOperationException("denied"));
        using var runtime = new Runtime(options);

        Assert.That(() => Steps.Create<Flaky>().Compute(1), Throws.InvalidOperationException.With.Message.EqualTo("denied"));

        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Exception, Is.InstanceOf<InvalidOperationException>());
    }

    [Test]
    public void Use_LlmStepRetriedByMiddleware_HoldsTwoConversations()
    {
        var client = new ScriptedChatClient("""{"Text":"first"}""", """{"Text":"second"}""");
        var options = new RuntimeOptions { ChatClient = client }.Use(async (context, next) =>
        {
            var first = (Answer)(await next(context))!;
            return first.Text == "first" ? await next(context) : first;
        });
        using var runtime = new Runtime(options);

        Assert.That(Steps.Create<Flaky>().Ask("q").Text, Is.EqualTo("second"));

        Assert.That(client.Requests, Has.Count.EqualTo(2));
        Assert.That(runtime.ExecutedSteps.Single().ModelCalls, Is.EqualTo(2));
    }

    [Test]
    public void StepContext_CarriesInfoArgumentsStepAndItems()
    {
        StepContext? seen = null;
        var options = new RuntimeOptions { ChatClient = new ScriptedChatClient("""{"Text":"hi"}""") };
        options.Use(new ItemsMiddleware("first")).Use(async (context, next) =>
        {
            seen = context;
            context.Items["second"] = context.Items["first"];
            return await next(context);
        });
        using var runtime = new Runtime(options);

        Steps.Create<Flaky>().Ask("what?");

        Assert.That(seen, Is.Not.Null);
        Assert.That(seen!.Info.Name, Is.EqualTo("Ask"));
        Assert.That(seen.Info.QualifiedName, Is.EqualTo("Flaky.Ask"));
        Assert.That(seen.Info.Kind, Is.EqualTo(StepKind.Llm));
        Assert.That(seen.Info.ResultType, Is.EqualTo(typeof(Answer)));
        Assert.That(seen.Info.WorkflowType, Is.EqualTo(typeof(Flaky)));
        Assert.That(seen.Info.Method.Name, Is.EqualTo(nameof(Flaky.Ask)));
        Assert.That(seen.Info.Attribute.Model, Is.EqualTo("gpt-4o-mini"));
        Assert.That(seen.Info.OutputSchema, Does.Contain("\"Text\""));
        Assert.That(seen.Arguments, Is.EqualTo(new object?[] { "what?" }));
        Assert.That(seen.Runtime, Is.SameAs(runtime));
        Assert.That(seen.Step, Is.SameAs(runtime.ExecutedSteps.Single()));
        Assert.That(seen.Items["second"], Is.EqualTo("set by first"));
        // The step has no token parameter, but the run's cancellation (Runtime.Cancel) reaches it through this token.
        Assert.That(seen.CancellationToken.CanBeCanceled, Is.True);
        Assert.That(seen.CancellationToken.IsCancellationRequested, Is.False);
    }

    public abstract class DerivedFlaky : Flaky
    {
    }

    [Test]
    public void Info_OfAnInheritedStep_NamesTheWorkflowItRunsIn()
    {
        StepInfo? info = null;
        var options = new RuntimeOptions().Use((context, next) =>
        {
            info = context.Info;
            return next(context);
        });
        using var runtime = new Runtime(options);

        Steps.Create<DerivedFlaky>().Compute(1);

        Assert.That(info!.WorkflowType, Is.EqualTo(typeof(DerivedFlaky)));
        Assert.That(info.QualifiedName, Is.EqualTo("DerivedFlaky.Compute"));
        Assert.That(info.Method.DeclaringType, Is.EqualTo(typeof(Flaky)));
    }

    [Test]
    public void Info_OfACodeStep_HasNoOutputSchema()
    {
        StepInfo? info = null;
        var options = new RuntimeOptions().Use((context, next) =>
        {
            info = context.Info;
            return next(context);
        });
        using var runtime = new Runtime(options);

        Steps.Create<Flaky>().Compute(1);

        Assert.That(info!.Kind, Is.EqualTo(StepKind.Code));
        Assert.That(info.OutputSchema, Is.Null);
        Assert.That(info.ResultType, Is.EqualTo(typeof(int)));
    }

    [Test]
    public void Middleware_RunsInOrderAdded_AroundEachStep()
    {
        var log = new List<string>();
        var options = new RuntimeOptions();
        options.Middleware.Add(new TestDoubles.RecordingStage(log, "a"));
        options.Use(new TestDoubles.RecordingStage(log, "b"));
        using var runtime = new Runtime(options);

        Steps.Create<Flaky>().Compute(1);

        Assert.That(log, Is.EqualTo(new[] { "a before Compute (loop: 1)", "b before Compute (loop: 1)", "b after Compute", "a after Compute" }));
    }

    [Test]
    public void Runtimes_FromTheSameOptions_ShareOneCompiledConfiguration()
    {
        var options = new RuntimeOptions { ChatClient = new SampleChatClient() };
        var client = new SampleChatClient();

        RuntimeConfiguration first, second, byClient1, byClient2;
        using (var runtime = new Runtime(options))
        {
            first = runtime.Configuration;
        }

        using (var runtime = new Runtime(options))
        {
            second = runtime.Configuration;
        }

        using (var runtime = new Runtime(client))
        {
            byClient1 = runtime.Configuration;
        }

        using (var runtime = new Runtime(client))
        {
            byClient2 = runtime.Configuration;
        }

        Assert.That(second, Is.SameAs(first));
        Assert.That(second.CodePipeline, Is.SameAs(first.CodePipeline));
        Assert.That(byClient2, Is.SameAs(byClient1));
    }

    private sealed class ItemsMiddleware(string key) : IStepMiddleware
    {
        public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
        {
            context.Items[key] = "set by " + key;
            return next(context);
        }
    }
}
