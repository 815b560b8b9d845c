using System.Collections.Concurrent;
using AgentSteps.Hosting;

namespace AgentSteps.Tests.Regression;

/// <summary>
/// DI-bound workflows share one compiled configuration while the container gives the same services; keyed clients are
/// looked up per run. Bound calls open their own run only when nothing is ambient.
/// </summary>
[NonParallelizable]
public class HostingRegressionTests
{
    public record Greeting(string Text);

    public abstract class Greeter
    {
        public ConcurrentBag<Runtime?> SeenCurrent { get; } = [];

        [Step(Model = "general-model")]
        public abstract Greeting Write(string name);

        [Step(Model = "local-model")]
        public abstract Greeting WriteLocally(string name);

        [Step]
        public virtual string Greet(string name)
        {
            SeenCurrent.Add(Runtime.Current);
            return Write(name).Text + " " + name;
        }

        [Step]
        public virtual async Task<string> GreetAsync(string name)
        {
            await Task.Yield();
            SeenCurrent.Add(Runtime.Current);
            return name + "!";
        }

        [Step]
        public virtual async Task<string> GreetTwiceAsync(string name)
        {
            var first = await GreetAsync(name);
            var second = await Task.Run(() => GreetAsync(name + "2"));
            return first + second;
        }
    }

    public abstract class Host
    {
        [Step]
        public virtual string CallsBound(Greeter greeter) => greeter.Greet("inner");

        [Step]
        public virtual async Task<string> CallsBoundAsync(Greeter greeter)
        {
            await Task.Yield();
            return await greeter.GreetAsync("inner");
        }
    }

    private sealed class RunCounter : IRunObserver
    {
        public ConcurrentQueue<Runtime> Runs { get; } = new();

        public ConcurrentQueue<string> Started { get; } = new();

        public void OnStepStarted(ExecutedStep step) => Started.Enqueue($"{step.Key}#{step.Loop}");

        public void OnRunCompleted(Runtime run) => Runs.Enqueue(run);
    }

    private static ServiceProvider Build(Action<IServiceCollection> configure, ServiceLifetime workflowLifetime = ServiceLifetime.Transient)
    {
        var services = new ServiceCollection();
        configure(services);
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<Greeter>(workflowLifetime).AddWorkflow<Host>();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    private static ChatResponse Reply(string text) =>
        new(new ChatMessage(ChatRole.Assistant, $$"""{"Text":"{{text}}"}""")) { FinishReason = ChatFinishReason.Stop };

    /// <summary>A client that always answers the same text, any number of times.</summary>
    private sealed class Always(string text) : IChatClient
    {
        public int Calls;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(Reply(text));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }

    [Test]
    public void BoundWorkflow_WithoutAmbientRuntime_OpensItsOwnRun_AmbientOnlyInsideTheCall()
    {
        using var provider = Build(s => s.AddChatClient(new Always("Hi")));
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();

        Assert.That(greeter.Greet("Ada"), Is.EqualTo("Hi Ada"));

        var run = scope.ServiceProvider.GetRequiredService<IRunAccessor>().LastRun!;
        Assert.That(greeter.SeenCurrent.Single(), Is.SameAs(run));
        Assert.That(run.ExecutedSteps.Select(s => s.Key), Is.EqualTo(new[] { "Greet:1/Write:1", "Greet:1" }));
        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public async Task BoundWorkflow_AsyncWithTaskRun_StaysInItsOwnRun()
    {
        using var provider = Build(s => s.AddChatClient(new Always("Hi")));
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();

        Assert.That(await greeter.GreetTwiceAsync("Ada"), Is.EqualTo("Ada!Ada2!"));

        var run = scope.ServiceProvider.GetRequiredService<IRunAccessor>().Runs.Single();
        Assert.That(greeter.SeenCurrent, Has.All.SameAs(run));
        Assert.That(run.ExecutedSteps.Select(s => s.Key).Order(), Is.EqualTo(new[] { "GreetTwiceAsync:1", "GreetTwiceAsync:1/GreetAsync:1", "GreetTwiceAsync:1/GreetAsync:2" }));
        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public void BoundWorkflow_WithAmbientRuntime_RecordsIntoIt()
    {
        using var provider = Build(s => s.AddChatClient(new Always("Hi")));
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();
        var ambientClient = new Always("Ambient");

        using (var runtime = new Runtime(ambientClient))
        {
            Assert.That(greeter.Greet("Ada"), Is.EqualTo("Ambient Ada"));
            Assert.That(runtime.ExecutedSteps, Has.Count.EqualTo(2));
            Assert.That(greeter.SeenCurrent.Single(), Is.SameAs(runtime));
        }

        Assert.That(scope.ServiceProvider.GetRequiredService<IRunAccessor>().Runs, Is.Empty);
    }

    [Test]
    public void BoundWorkflow_CalledFromAStepOfAnotherRuntime_IsAChildOfThatStep()
    {
        using var provider = Build(s => s.AddChatClient(new Always("Hi")));
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();

        using var runtime = new Runtime(new Always("Outer"));
        Assert.That(Steps.Create<Host>().CallsBound(greeter), Is.EqualTo("Outer inner"));

        Assert.That(runtime.ExecutedSteps.Select(s => s.Key), Is.EqualTo(new[] { "CallsBound:1/Greet:1/Write:1", "CallsBound:1/Greet:1", "CallsBound:1" }));
        Assert.That(greeter.SeenCurrent.Single(), Is.SameAs(runtime));
        Assert.That(scope.ServiceProvider.GetRequiredService<IRunAccessor>().Runs, Is.Empty);
    }

    [Test]
    public async Task BoundWorkflow_CalledFromAStepOfAnotherBoundWorkflow_JoinsItsRun()
    {
        using var provider = Build(s => s.AddChatClient(new Always("Hi")));
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();
        var host = scope.ServiceProvider.GetRequiredService<Host>();

        Assert.That(await host.CallsBoundAsync(greeter), Is.EqualTo("inner!"));
        Assert.That(host.CallsBound(greeter), Is.EqualTo("Hi inner"));

        var runs = scope.ServiceProvider.GetRequiredService<IRunAccessor>().Runs;
        Assert.That(runs, Has.Count.EqualTo(2));
        Assert.That(runs[0].ExecutedSteps.Select(s => s.Key), Is.EqualTo(new[] { "CallsBoundAsync:1/GreetAsync:1", "CallsBoundAsync:1" }));
        Assert.That(runs[1].ExecutedSteps.Select(s => s.Key), Is.EqualTo(new[] { "CallsBound:1/Greet:1/Write:1", "CallsBound:1/Greet:1", "CallsBound:1" }));
        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public async Task FiftyParallelBoundCalls_FromOneFlow_EachGetsItsOwnRun()
    {
        var counter = new RunCounter();
        using var provider = Build(s =>
        {
            s.AddChatClient(new Always("Hi"));
            s.AddSingleton<IRunObserver>(counter);
        });
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => greeter.GreetTwiceAsync("n" + i)));

        Assert.That(results, Is.EqualTo(Enumerable.Range(0, 50).Select(i => $"n{i}!n{i}2!")));
        var runs = scope.ServiceProvider.GetRequiredService<IRunAccessor>().Runs;
        Assert.That(runs, Has.Count.EqualTo(50));
        Assert.That(counter.Runs, Has.Count.EqualTo(50));
        foreach (var run in runs)
        {
            var steps = run.ExecutedSteps;
            Assert.That(steps, Has.Count.EqualTo(3));
            var name = (string)steps.Single(s => s.Name == "GreetTwiceAsync").Arguments["name"]!;
            Assert.That(steps.Where(s => s.Name == "GreetAsync").Select(s => (string)s.Arguments["name"]!).Order(), Is.EqualTo(new[] { name, name + "2" }));
            Assert.That(steps.Select(s => s.Key).Order(), Is.EqualTo(new[] { "GreetTwiceAsync:1", "GreetTwiceAsync:1/GreetAsync:1", "GreetTwiceAsync:1/GreetAsync:2" }));
        }

        Assert.That(counter.Started.Distinct().Count(), Is.EqualTo(3), "every run numbers its steps alike");
        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public async Task FiftyParallelBoundCalls_FromAStepOfAnOuterRuntime_AllRecordIntoIt()
    {
        using var provider = Build(s => s.AddChatClient(new Always("Hi")));
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();
        using var runtime = new Runtime(new Always("Outer"));

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => greeter.GreetTwiceAsync("n" + i)));

        Assert.That(runtime.RootSteps, Has.Count.EqualTo(50));
        Assert.That(runtime.ExecutedSteps, Has.Count.EqualTo(150));
        Assert.That(scope.ServiceProvider.GetRequiredService<IRunAccessor>().Runs, Is.Empty);
    }

    [Test]
    public void ScopedKeyedClient_ServesTheRunsOfItsScope()
    {
        int made = 0;
        using var provider = Build(s =>
        {
            s.AddChatClient(new Always("General"));
            s.AddKeyedChatClient("local-model", _ => new Always("Local" + Interlocked.Increment(ref made)), ServiceLifetime.Scoped);
        });

        using var scope1 = provider.CreateScope();
        using var scope2 = provider.CreateScope();
        var greeter1 = scope1.ServiceProvider.GetRequiredService<Greeter>();
        var greeter2 = scope2.ServiceProvider.GetRequiredService<Greeter>();

        var first = greeter1.WriteLocally("x").Text;
        var second = greeter2.WriteLocally("x").Text;
        var firstAgain = greeter1.WriteLocally("x").Text;
        var general = greeter2.Write("x").Text;

        Assert.That((first, second, firstAgain, general), Is.EqualTo(("Local1", "Local2", "Local1", "General")));
    }

    [Test]
    public void ScopedChatClient_EachScopeUsesItsOwn_NoStaleConfiguration()
    {
        int made = 0;
        using var provider = Build(s => s.AddChatClient(_ => new Always("Scoped" + Interlocked.Increment(ref made)), ServiceLifetime.Scoped));

        using var scope1 = provider.CreateScope();
        using var scope2 = provider.CreateScope();
        var greeter1 = scope1.ServiceProvider.GetRequiredService<Greeter>();
        var greeter2 = scope2.ServiceProvider.GetRequiredService<Greeter>();

        Assert.That(greeter1.Write("x").Text, Is.EqualTo("Scoped1"));
        Assert.That(greeter2.Write("x").Text, Is.EqualTo("Scoped2"));
        Assert.That(greeter1.Write("x").Text, Is.EqualTo("Scoped1"));

        using var scope3 = provider.CreateScope();
        Assert.That(scope3.ServiceProvider.GetRequiredService<Greeter>().Write("x").Text, Is.EqualTo("Scoped3"));
    }

    [Test]
    public void SingletonChatClient_SharesOneCompiledConfiguration_ScopedObserverStillPerScope()
    {
        var shared = new Always("Singleton");
        using var provider = Build(s =>
        {
            s.AddChatClient(shared);
            s.AddScoped<RunCounter>();
            s.AddScoped<IRunObserver>(sp => sp.GetRequiredService<RunCounter>());
        });

        using var scope1 = provider.CreateScope();
        using var scope2 = provider.CreateScope();
        scope1.ServiceProvider.GetRequiredService<Greeter>().Write("a");
        scope2.ServiceProvider.GetRequiredService<Greeter>().Write("b");
        scope2.ServiceProvider.GetRequiredService<Greeter>().Write("c");

        Assert.That(scope1.ServiceProvider.GetRequiredService<RunCounter>().Runs, Has.Count.EqualTo(1));
        Assert.That(scope2.ServiceProvider.GetRequiredService<RunCounter>().Runs, Has.Count.EqualTo(2));
        Assert.That(shared.Calls, Is.EqualTo(3));
    }

    [Test]
    public void SingletonVersusScopedRegistration_InTwoContainers_DoNotShareConfiguration()
    {
        using var singleton = Build(s => s.AddChatClient(new Always("One")));
        using var scoped = Build(s => s.AddChatClient(_ => new Always("Two"), ServiceLifetime.Scoped));

        using var a = singleton.CreateScope();
        using var b = scoped.CreateScope();
        Assert.That(a.ServiceProvider.GetRequiredService<Greeter>().Write("x").Text, Is.EqualTo("One"));
        Assert.That(b.ServiceProvider.GetRequiredService<Greeter>().Write("x").Text, Is.EqualTo("Two"));
        Assert.That(a.ServiceProvider.GetRequiredService<Greeter>().Write("x").Text, Is.EqualTo("One"));
    }

    [Test]
    public async Task BoundWorkflow_AfterTheAmbientRuntimeWasDisposedInAnotherFlow_OpensItsOwnRun()
    {
        using var provider = Build(s => s.AddChatClient(new Always("Hi")));
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();

        var runtime = new Runtime(new Always("Gone"));
        await Task.Run(runtime.Dispose);

        Assert.That(Runtime.Current, Is.Null);
        Assert.That(greeter.Greet("Ada"), Is.EqualTo("Hi Ada"), "nothing is open, as Runtime.Current says: the bound call opens its own run");
        Assert.That(runtime.ExecutedSteps, Is.Empty);
    }

    [Test]
    public void BoundWorkflow_ObserverSeesLoopAndKeyAtStart()
    {
        var counter = new RunCounter();
        using var provider = Build(s =>
        {
            s.AddChatClient(new Always("Hi"));
            s.AddSingleton<IRunObserver>(counter);
        });

        provider.CreateScope().ServiceProvider.GetRequiredService<Greeter>().Greet("Ada");

        Assert.That(counter.Started, Is.EqualTo(new[] { "Greet:1#1", "Greet:1/Write:1#1" }));
    }

    /// <summary>An observer with value equality (a record): two fresh ones are equal, but each counts its own scope's runs.</summary>
    public sealed record CountingRecordObserver : IRunObserver
    {
        private int _runs;

        public int Runs => _runs;

        public void OnRunCompleted(Runtime run) => Interlocked.Increment(ref _runs);
    }

    /// <summary>Middleware with value equality: two fresh ones are equal, but each counts its own scope's calls.</summary>
    public sealed record CountingRecordMiddleware : IStepMiddleware
    {
        private int _calls;

        public int Calls => _calls;

        public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
        {
            Interlocked.Increment(ref _calls);
            return next(context);
        }
    }

    [Test]
    public void ScopedObserverAndMiddleware_WithValueEquality_EachScopeUsesItsOwnInstances()
    {
        using var provider = Build(s =>
        {
            s.AddChatClient(new Always("Hi"));
            s.AddScoped<CountingRecordObserver>();
            s.AddScoped<IRunObserver>(sp => sp.GetRequiredService<CountingRecordObserver>());
            s.AddScoped<CountingRecordMiddleware>();
            s.AddScoped<IStepMiddleware>(sp => sp.GetRequiredService<CountingRecordMiddleware>());
        });

        using var scope1 = provider.CreateScope();
        using var scope2 = provider.CreateScope();
        scope1.ServiceProvider.GetRequiredService<Greeter>().Write("a");
        scope2.ServiceProvider.GetRequiredService<Greeter>().Write("b");

        Assert.That(scope1.ServiceProvider.GetRequiredService<CountingRecordObserver>().Runs, Is.EqualTo(1));
        Assert.That(scope2.ServiceProvider.GetRequiredService<CountingRecordObserver>().Runs, Is.EqualTo(1), "the second scope's observer hears of its run");
        Assert.That(scope1.ServiceProvider.GetRequiredService<CountingRecordMiddleware>().Calls, Is.EqualTo(1));
        Assert.That(scope2.ServiceProvider.GetRequiredService<CountingRecordMiddleware>().Calls, Is.EqualTo(1), "the second scope's middleware runs its calls");
    }
}
