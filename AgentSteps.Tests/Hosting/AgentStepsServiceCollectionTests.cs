using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace AgentSteps.Tests;

[NonParallelizable]
public class AgentStepsServiceCollectionTests
{
    public record Greeting(string Text);

    public interface IClock
    {
        string Now { get; }
    }

    public sealed class FixedClock : IClock
    {
        public string Now => "noon";
    }

    public abstract class Greeter(IClock clock)
    {
        [Step(Model = "gpt-4o-mini")]
        public abstract Greeting Write(string name);

        [Step(Model = "local-model")]
        public abstract Greeting WriteLocally(string name);

        [Step]
        public virtual string Greet(string name) => $"{Write(name).Text} at {clock.Now}";

        [Step]
        public virtual async Task<string> GreetAsync(string name)
        {
            await Task.Yield();
            return Greet(name);
        }
    }

    public abstract class Broken
    {
        [Step]
        public string NotVirtual() => "x";
    }

    public sealed class RecordingObserver : IRunObserver
    {
        public List<Runtime> Runs { get; } = [];

        public List<string> Steps { get; } = [];

        public void OnStepStarted(ExecutedStep step)
        {
            lock (Steps)
            {
                Steps.Add("started " + step.Key);
            }
        }

        public void OnStepCompleted(ExecutedStep step)
        {
            lock (Steps)
            {
                Steps.Add("completed " + step.Key);
            }
        }

        public void OnRunCompleted(Runtime run)
        {
            lock (Runs)
            {
                Runs.Add(run);
            }
        }
    }

    private sealed class ThrowingObserver : IRunObserver
    {
        public void OnStepCompleted(ExecutedStep step) => throw new InvalidOperationException("observer broke");

        public void OnRunCompleted(Runtime run) => throw new InvalidOperationException("observer broke");
    }

    private sealed class CountingClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public int Calls { get; private set; }

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            return base.GetResponseAsync(messages, options, cancellationToken);
        }
    }

    private static ServiceProvider Build(Action<IServiceCollection> configure, Action<AgentStepsOptions>? options = null, ServiceLifetime lifetime = ServiceLifetime.Transient)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        configure(services);
        services.AddAgentSteps(o =>
        {
            o.UseEnvironment = false;
            options?.Invoke(o);
        }).AddWorkflow<Greeter>(lifetime);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    private const string Hello = """{"Text":"Hello"}""";

    [Test]
    public void AddWorkflow_ResolvesAProxyWithConstructorDependenciesAndNeedsNoRuntime()
    {
        var client = new ScriptedChatClient(Hello);
        using var provider = Build(s => s.AddChatClient(client));
        using var scope = provider.CreateScope();

        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();

        Assert.That(greeter.Greet("Ada"), Is.EqualTo("Hello at noon"));
        Assert.That(Runtime.Current, Is.Null, "the run was ambient only during the call");
        var run = scope.ServiceProvider.GetRequiredService<IRunAccessor>().LastRun!;
        Assert.That(run.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "Write", "Greet" }));
        Assert.That(run.ExecutedSteps[0].Parent, Is.SameAs(run.ExecutedSteps[1]));
    }

    [Test]
    public async Task EachTopLevelCall_OpensItsOwnRun_AsyncIncluded()
    {
        using var provider = Build(s => s.AddChatClient(new ScriptedChatClient(Hello, Hello)));
        using var scope = provider.CreateScope();
        var greeter = scope.ServiceProvider.GetRequiredService<Greeter>();

        await greeter.GreetAsync("a");
        greeter.Greet("b");

        var runs = scope.ServiceProvider.GetRequiredService<IRunAccessor>().Runs;
        Assert.That(runs, Has.Count.EqualTo(2));
        Assert.That(runs[0], Is.Not.SameAs(runs[1]));
        Assert.That(runs[0].ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "Write", "Greet", "GreetAsync" }));
        Assert.That(runs[1].ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "Write", "Greet" }));
        Assert.That(Runtime.Current, Is.Null);
    }

    [Test]
    public void AmbientRuntime_IsUsedInsteadOfANewRun()
    {
        var observer = new RecordingObserver();
        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        services.AddChatClient(new ScriptedChatClient());
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<Greeter>().AddRunObserver(observer);
        using var provider = services.BuildServiceProvider();
        var greeter = provider.GetRequiredService<Greeter>();

        using var ambient = new Runtime(new ScriptedChatClient(Hello));
        greeter.Greet("x");

        Assert.That(ambient.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "Write", "Greet" }));
        Assert.That(observer.Runs, Is.Empty, "no run of its own was opened");
    }

    [Test]
    public void RunObserver_FromTheContainer_IsToldOfEveryStepThenTheRun()
    {
        var observer = new RecordingObserver();
        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        services.AddChatClient(new ScriptedChatClient(Hello));
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<Greeter>().AddRunObserver(observer);
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<Greeter>().Greet("x");

        Assert.That(observer.Steps, Is.EqualTo(new[] { "started Greet:1", "started Greet:1/Write:1", "completed Greet:1/Write:1", "completed Greet:1" }));
        Assert.That(observer.Runs, Has.Count.EqualTo(1), "told once that the run completed");
    }

    [Test]
    public void Runs_OfWorkflowsFromOneContainer_ShareOneCompiledConfiguration()
    {
        var observer = new RecordingObserver();
        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        services.AddChatClient(new ScriptedChatClient(Hello, Hello));
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<Greeter>().AddRunObserver(observer);
        using var provider = services.BuildServiceProvider();

        using (var scope = provider.CreateScope())
        {
            scope.ServiceProvider.GetRequiredService<Greeter>().Greet("a");
        }

        using (var scope = provider.CreateScope())
        {
            scope.ServiceProvider.GetRequiredService<Greeter>().Greet("b");
        }

        Assert.That(observer.Runs, Has.Count.EqualTo(2));
        Assert.That(observer.Runs[1].Configuration, Is.SameAs(observer.Runs[0].Configuration), "no pipeline or client rebuilt per run");
    }

    [Test]
    public void Use_MiddlewareFromTheContainer_RunsAroundEveryStepInOrder()
    {
        var log = new List<string>();
        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        services.AddChatClient(new ScriptedChatClient(Hello));
        services.AddAgentSteps(o => o.UseEnvironment = false)
            .AddWorkflow<Greeter>()
            .Use(new TestDoubles.RecordingStage(log, "first"))
            .Use(async (context, next) =>
            {
                log.Add("second " + context.Step.Key);
                return await next(context);
            });
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<Greeter>().Greet("x");

        Assert.That(log, Is.EqualTo(new[]
        {
            "first before Greet (loop: 1)", "second Greet:1",
            "first before Write (loop: 1)", "second Greet:1/Write:1", "first after Write",
            "first after Greet",
        }));
    }

    [Test]
    public void RunObserver_ThatThrows_DoesNotFailACallThatSucceeded()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        services.AddChatClient(new ScriptedChatClient(Hello));
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<Greeter>().AddRunObserver(new ThrowingObserver());
        using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetRequiredService<Greeter>().Greet("x"), Does.StartWith("Hello"));
    }

    [Test]
    public void RunObserver_ReceivesEveryFinishedRun_FailedOnesToo()
    {
        var observer = new RecordingObserver();
        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        services.AddChatClient(new ScriptedChatClient("bad", "bad", "bad"));
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<Greeter>().AddRunObserver(observer);
        using var provider = services.BuildServiceProvider();

        Assert.Throws<StepOutputException>(() => provider.GetRequiredService<Greeter>().Greet("x"));

        Assert.That(observer.Runs.Single().ExecutedSteps.All(s => s.Exception is StepOutputException), Is.True);
    }

    [TestCase(ServiceLifetime.Transient, false)]
    [TestCase(ServiceLifetime.Scoped, true)]
    public void AddWorkflow_HonoursTheLifetime(ServiceLifetime lifetime, bool sameWithinScope)
    {
        using var provider = Build(s => s.AddChatClient(new ScriptedChatClient()), lifetime: lifetime);
        using var scope = provider.CreateScope();

        var first = scope.ServiceProvider.GetRequiredService<Greeter>();
        var second = scope.ServiceProvider.GetRequiredService<Greeter>();

        Assert.That(ReferenceEquals(first, second), Is.EqualTo(sameWithinScope));
    }

    [Test]
    public void KeyedChatClient_UnderTheModelName_WinsForThatModel()
    {
        var general = new ScriptedChatClient(Hello);
        var local = new ScriptedChatClient("""{"Text":"Local"}""");
        using var provider = Build(s =>
        {
            s.AddChatClient(general);
            s.AddKeyedChatClient("local-model", local);
        });
        var greeter = provider.CreateScope().ServiceProvider.GetRequiredService<Greeter>();

        Assert.That(greeter.WriteLocally("x").Text, Is.EqualTo("Local"));
        Assert.That(greeter.Write("x").Text, Is.EqualTo("Hello"));
        Assert.That(local.Requests.Single().Options!.ModelId, Is.EqualTo("local-model"));
        Assert.That(general.Requests.Single().Options!.ModelId, Is.EqualTo("gpt-4o-mini"));
    }

    [Test]
    public void ChatClientBuilderMiddleware_IsOnThePath()
    {
        CountingClient? counting = null;
        using var provider = Build(s => s.AddChatClient(new ScriptedChatClient(Hello)).Use(inner => counting = new CountingClient(inner)));

        provider.CreateScope().ServiceProvider.GetRequiredService<Greeter>().Write("x");

        Assert.That(counting!.Calls, Is.EqualTo(1));
    }

    [Test]
    public void Options_ApplyAliasesDefaultsAndOverride()
    {
        var client = new ScriptedChatClient(Hello);
        using var provider = Build(s => s.AddChatClient(client), o => o.ModelAliases["gpt-4o-mini"] = "llama3.2");

        provider.CreateScope().ServiceProvider.GetRequiredService<Greeter>().Write("x");

        Assert.That(client.Requests.Single().Options!.ModelId, Is.EqualTo("llama3.2"));
    }

    [Test]
    public void NothingRegisteredAndNoEnvironment_ThrowsTheCoreError()
    {
        using var provider = Build(_ => { });
        var greeter = provider.CreateScope().ServiceProvider.GetRequiredService<Greeter>();

        var e = Assert.Throws<InvalidOperationException>(() => greeter.Write("x"));
        Assert.That(e!.Message, Does.Contain("no model client is configured").And.Contain("OPENAI_API_KEY"));
    }

    [Test]
    public async Task NothingRegistered_FallsBackToTheEnvironment()
    {
        await using var server = await OpenAIWireServer.StartAsync();
        server.ReplyContent(Hello);
        var saved = Environment.GetEnvironmentVariable(RuntimeOptions.BaseUrlVariable);
        Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, server.BaseUrl);
        try
        {
            var services = new ServiceCollection();
            services.AddSingleton<IClock, FixedClock>();
            services.AddAgentSteps().AddWorkflow<Greeter>();
            using var provider = services.BuildServiceProvider();

            Assert.That(provider.GetRequiredService<Greeter>().Write("x").Text, Is.EqualTo("Hello"));
            Assert.That(server.Requests, Has.Count.EqualTo(1));
        }
        finally
        {
            Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, saved);
        }
    }

    [Test]
    public void AddWorkflow_MistakenWorkflow_FailsAtRegistration()
    {
        var services = new ServiceCollection();
        var e = Assert.Throws<WorkflowDefinitionException>(() => services.AddAgentSteps().AddWorkflow<Broken>());
        Assert.That(e!.Message, Does.Contain("'Broken.NotVirtual' must be virtual"));
    }

    [Test]
    public void MissingConstructorDependency_SaysWhichOneToRegister()
    {
        var services = new ServiceCollection();
        services.AddChatClient(new ScriptedChatClient());
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<Greeter>();
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<Greeter>());
        Assert.That(e!.Message, Does.Contain("'Greeter' needs a IClock for its constructor parameter 'clock'"));
    }

    [Test]
    public void Logging_GoesThroughTheContainersLoggerFactory()
    {
        var logger = new ListLogger();
        using var provider = Build(s =>
        {
            s.AddChatClient(new ScriptedChatClient(Hello));
            s.AddLogging(b => b.AddProvider(new SingleLoggerProvider(logger)).SetMinimumLevel(LogLevel.Debug));
        });

        provider.CreateScope().ServiceProvider.GetRequiredService<Greeter>().Greet("x");

        Assert.That(logger.Entries.Select(e => e.EventId.Name), Is.EqualTo(new[] { "NoSystemPrompt", "ModelCall", "ModelReply", "StepCompleted", "StepCompleted" }));
        Assert.That(logger.Entries.Select(e => e.Message), Has.None.Contains("Hello"), "no reply text without EnableSensitiveData");
    }

    private sealed class SingleLoggerProvider(ILogger logger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => categoryName == "AgentSteps" ? logger : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }
    }

    public sealed class WeakRunObserver : IRunObserver
    {
        public List<WeakReference<Runtime>> Runs { get; } = [];

        public void OnRunCompleted(Runtime run) => Runs.Add(new WeakReference<Runtime>(run));
    }

    public sealed class GreeterHolder(Greeter greeter)
    {
        public Greeter Greeter { get; } = greeter;
    }

    [TestCase(ServiceLifetime.Singleton, false)]
    [TestCase(ServiceLifetime.Transient, true)]
    public void RootResolvedWorkflow_WithoutScopeValidation_KeepsNoRuns(ServiceLifetime lifetime, bool heldBySingleton)
    {
        const int Calls = 50;
        var observer = new WeakRunObserver();
        var client = new ScriptedChatClient();
        for (int i = 0; i < Calls; i++)
        {
            client.Enqueue(Hello);
        }

        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        services.AddSingleton<GreeterHolder>();
        services.AddChatClient(client);
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<Greeter>(lifetime).AddRunObserver(observer);
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = false });

        CallFromRoot(provider, heldBySingleton, Calls);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.That(observer.Runs, Has.Count.EqualTo(Calls), "observers still see every run");
        Assert.That(provider.GetRequiredService<IRunAccessor>().Runs, Is.Empty, "the root scope collects nothing");
        Assert.That(observer.Runs.Count(r => r.TryGetTarget(out _)), Is.Zero, "no run outlives its call");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallFromRoot(ServiceProvider provider, bool heldBySingleton, int calls)
    {
        var greeter = heldBySingleton ? provider.GetRequiredService<GreeterHolder>().Greeter : provider.GetRequiredService<Greeter>();
        for (int i = 0; i < calls; i++)
        {
            greeter.Greet("x");
        }
    }

    [Test]
    public void ScopedWorkflow_StillCollectsItsRunsInTheScope()
    {
        using var provider = Build(s => s.AddChatClient(new ScriptedChatClient(Hello)), lifetime: ServiceLifetime.Scoped);
        using var scope = provider.CreateScope();

        scope.ServiceProvider.GetRequiredService<Greeter>().Greet("x");

        Assert.That(scope.ServiceProvider.GetRequiredService<IRunAccessor>().Runs, Has.Count.EqualTo(1));
    }

    public interface IUnregistered
    {
    }

    public abstract class TwoConstructors
    {
        protected TwoConstructors(IClock clock) => Chosen = "clock";

        protected TwoConstructors(IClock clock, IUnregistered missing) => Chosen = "clock and missing";

        public string Chosen { get; }

        [Step]
        public virtual string Run() => Chosen;
    }

    public abstract class MarkedConstructor
    {
        [ActivatorUtilitiesConstructor]
        protected MarkedConstructor(IClock clock) => Chosen = "marked";

        protected MarkedConstructor(IClock clock, IChatClient client) => Chosen = "longest";

        public string Chosen { get; }

        [Step]
        public virtual string Run() => Chosen;
    }

    public abstract class DefaultedConstructor
    {
        protected DefaultedConstructor()
        {
            Chosen = "none";
        }

        protected DefaultedConstructor(IClock clock, string greeting = "hi") => Chosen = greeting;

        public string Chosen { get; }

        [Step]
        public virtual string Run() => Chosen;
    }

    public abstract class AmbiguousConstructors
    {
        protected AmbiguousConstructors(IClock clock)
        {
        }

        protected AmbiguousConstructors(IChatClient client)
        {
        }

        [Step]
        public virtual string Run() => "x";
    }

    private static ServiceProvider BuildWith<TWorkflow>()
        where TWorkflow : class
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock, FixedClock>();
        services.AddChatClient(new ScriptedChatClient());
        services.AddAgentSteps(o => o.UseEnvironment = false).AddWorkflow<TWorkflow>();
        return services.BuildServiceProvider();
    }

    [Test]
    public void Constructor_TheLongestTheContainerCanSatisfy_IsChosen()
    {
        using var provider = BuildWith<TwoConstructors>();
        Assert.That(provider.GetRequiredService<TwoConstructors>().Chosen, Is.EqualTo("clock"));
    }

    [Test]
    public void Constructor_MarkedActivatorUtilitiesConstructor_Wins()
    {
        using var provider = BuildWith<MarkedConstructor>();
        Assert.That(provider.GetRequiredService<MarkedConstructor>().Chosen, Is.EqualTo("marked"));
    }

    [Test]
    public void Constructor_ParameterWithADefault_CountsAsSatisfied()
    {
        using var provider = BuildWith<DefaultedConstructor>();
        Assert.That(provider.GetRequiredService<DefaultedConstructor>().Chosen, Is.EqualTo("hi"));
    }

    [Test]
    public void Constructor_TwoEquallyLongSatisfiable_ThrowsSayingMarkOne()
    {
        using var provider = BuildWith<AmbiguousConstructors>();
        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<AmbiguousConstructors>());
        Assert.That(e!.Message, Does.Contain("(IClock clock)").And.Contain("(IChatClient client)").And.Contain("[ActivatorUtilitiesConstructor]"));
    }

    public abstract record RecordGreeter(IClock Clock)
    {
        [Step]
        public virtual string Run() => Clock.Now;
    }

    [Test]
    public void Constructor_OfARecordWorkflow_IsItsOwnNotTheCopyConstructor()
    {
        using var provider = BuildWith<RecordGreeter>();
        Assert.That(provider.GetRequiredService<RecordGreeter>().Run(), Is.EqualTo("noon"));
    }

    [Test]
    public void Builder_IsAnInterfaceInTheAgentStepsNamespace_AndTheDINamespaceHoldsOnlyExtensionClasses()
    {
        var builder = new ServiceCollection().AddAgentSteps();

        Assert.That(typeof(IAgentStepsBuilder).Namespace, Is.EqualTo("AgentSteps"));
        Assert.That(builder, Is.InstanceOf<IAgentStepsBuilder>());
        var diTypes = typeof(IAgentStepsBuilder).Assembly.GetExportedTypes().Where(t => t.Namespace == "Microsoft.Extensions.DependencyInjection");
        Assert.That(diTypes, Is.Not.Empty.And.All.Matches<Type>(t => t.IsAbstract && t.IsSealed && t.Name.EndsWith("Extensions", StringComparison.Ordinal)));
    }
}
