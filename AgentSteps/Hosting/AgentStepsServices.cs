using System.Collections.Concurrent;
using System.Reflection;
using AgentSteps.Inspection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentSteps.Hosting;

/// <summary>
/// Builds bound workflows for the container: each opens runs configured from the container (its <see cref="IChatClient"/>,
/// keyed clients by model name, logging), falling back to the environment, and reports finished runs.
/// </summary>
/// <param name="options">The AgentSteps options.</param>
/// <param name="root">The container's root provider (a singleton is given the root), to tell scopes from the root.</param>
internal sealed class AgentStepsServices(AgentStepsOptions options, IServiceProvider root)
{
    private readonly Lazy<RuntimeOptions> _environment = new(RuntimeOptions.FromEnvironment);

    // Per container: what it can satisfy is fixed once it is built.
    private readonly ConcurrentDictionary<Type, ConstructorInfo> _constructors = new();
    private volatile CompiledRuns? _compiled;

    public object CreateWorkflow(IServiceProvider services, Type workflowType)
    {
        var accessor = TryGetAccessor(services);
        var binding = new RunBinding(
            () => new Runtime(Configuration(services), ambient: false)
            {
                // Keyed clients come from the provider the workflow was resolved from, so a scope's own keyed client serves its runs.
                ModelLookup = services is IKeyedServiceProvider keyed ? model => keyed.GetKeyedService<IChatClient>(model) : null,
            },
            run => accessor?.Add(run));
        return Steps.Create(workflowType, binding, ConstructorArguments(services, workflowType));
    }

    private RunAccessor? TryGetAccessor(IServiceProvider services)
    {
        if (ReferenceEquals(services, root))
        {
            // Resolved from the root (a singleton, or a transient a singleton or hosted service holds): the root scope
            // lives as long as the process, so collecting its runs would keep every run ever made. Observers still see them.
            return null;
        }

        try
        {
            return services.GetService<IRunAccessor>() as RunAccessor;
        }
        catch (InvalidOperationException)
        {
            // Resolved from the root provider with scope validation on: there is no scope to collect runs in.
            return null;
        }
    }

    private object?[] ConstructorArguments(IServiceProvider services, Type workflowType)
    {
        var isService = services.GetService<IServiceProviderIsService>();
        var constructor = isService is null
            ? SelectConstructor(workflowType, parameter => CanResolve(services, null, parameter))
            : _constructors.GetOrAdd(workflowType, type => SelectConstructor(type, parameter => CanResolve(services, isService, parameter)));

        var parameters = constructor.GetParameters();
        var arguments = new object?[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var service = parameter.GetCustomAttribute<FromKeyedServicesAttribute>() is { } keyed
                ? (services as IKeyedServiceProvider)?.GetKeyedService(parameter.ParameterType, keyed.Key)
                : services.GetService(parameter.ParameterType);
            arguments[i] = service ?? (parameter.HasDefaultValue
                ? parameter.DefaultValue
                : throw MissingService(workflowType, parameter));
        }

        return arguments;
    }

    /// <summary>
    /// Chooses the constructor as <c>ActivatorUtilities.CreateInstance</c> does: the one marked
    /// <see cref="ActivatorUtilitiesConstructorAttribute"/>, else the one with the most parameters that the container can
    /// all satisfy (a registered service, or a default value). Protected constructors count: the proxy derives from the class.
    /// </summary>
    private static ConstructorInfo SelectConstructor(Type workflowType, Func<ParameterInfo, bool> canResolve)
    {
        var constructors = workflowType
            .GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(c => c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly)
            .Where(c => c.GetParameters() is not [var only] || only.ParameterType != workflowType)   // a record's copy constructor would resolve the workflow itself
            .ToArray();
        var workflowName = StepNames.TypeName(workflowType);
        if (constructors.Length == 0)
        {
            throw new InvalidOperationException($"Workflow '{workflowName}' has no public or protected constructor. Add one so that the container can create it.");
        }

        var marked = constructors.Where(c => c.IsDefined(typeof(ActivatorUtilitiesConstructorAttribute), inherit: false)).ToArray();
        if (marked.Length > 1)
        {
            throw new InvalidOperationException($"Workflow '{workflowName}' has several constructors marked [ActivatorUtilitiesConstructor]. Mark one.");
        }

        if (marked.Length == 1)
        {
            return marked[0];
        }

        ConstructorInfo? best = null;
        ConstructorInfo? tie = null;
        foreach (var constructor in constructors.OrderByDescending(c => c.GetParameters().Length))
        {
            int length = constructor.GetParameters().Length;
            if (best is not null && length < best.GetParameters().Length)
            {
                break;
            }

            if (constructor.GetParameters().All(canResolve))
            {
                if (best is null)
                {
                    best = constructor;
                }
                else
                {
                    tie = constructor;
                }
            }
        }

        if (tie is not null)
        {
            throw new InvalidOperationException(
                $"Workflow '{workflowName}' has two constructors of {tie.GetParameters().Length} parameters that the container can both satisfy: " +
                $"{Describe(best!)} and {Describe(tie)}. Mark the one to use with [ActivatorUtilitiesConstructor].");
        }

        if (best is not null)
        {
            return best;
        }

        // None can be satisfied: report what the longest one lacks, as the most likely intended.
        var longest = constructors.MaxBy(c => c.GetParameters().Length)!;
        var missing = longest.GetParameters().First(p => !canResolve(p));
        throw MissingService(workflowType, missing);
    }

    private static bool CanResolve(IServiceProvider services, IServiceProviderIsService? isService, ParameterInfo parameter)
    {
        if (parameter.HasDefaultValue)
        {
            return true;
        }

        if (parameter.GetCustomAttribute<FromKeyedServicesAttribute>() is { } keyed)
        {
            return services.GetService<IServiceProviderIsKeyedService>() is { } isKeyed
                ? isKeyed.IsKeyedService(parameter.ParameterType, keyed.Key)
                : (services as IKeyedServiceProvider)?.GetKeyedService(parameter.ParameterType, keyed.Key) is not null;
        }

        return isService?.IsService(parameter.ParameterType) ?? services.GetService(parameter.ParameterType) is not null;
    }

    private static InvalidOperationException MissingService(Type workflowType, ParameterInfo parameter) =>
        new($"Workflow '{StepNames.TypeName(workflowType)}' needs a {StepNames.TypeName(parameter.ParameterType)} for its constructor parameter '{parameter.Name}', but none is registered. Register one in the container.");

    private static string Describe(ConstructorInfo constructor) =>
        $"({string.Join(", ", constructor.GetParameters().Select(p => StepNames.TypeName(p.ParameterType) + " " + p.Name))})";

    /// <summary>
    /// Gets the configuration of a run from what the container gives now. It is compiled again only when that changed
    /// (a scoped client or observer), so runs of singleton services share one compiled configuration.
    /// </summary>
    private RuntimeConfiguration Configuration(IServiceProvider services)
    {
        var environment = options.UseEnvironment ? _environment.Value : null;
        var chatClient = services.GetService<IChatClient>() ?? environment?.ChatClient;
        var loggerFactory = services.GetService<ILoggerFactory>();
        var observers = services.GetServices<IRunObserver>().ToArray();
        var middleware = services.GetServices<IStepMiddleware>().ToArray();
        var tools = services.GetServices<AITool>().ToArray();
        var cached = _compiled;
        if (cached is not null && ReferenceEquals(cached.ChatClient, chatClient) && ReferenceEquals(cached.LoggerFactory, loggerFactory) &&
            cached.Observers.AsSpan().SequenceEqual(observers) && cached.Middleware.AsSpan().SequenceEqual(middleware) && cached.Tools.AsSpan().SequenceEqual(tools))
        {
            return cached.Configuration;
        }

        var configuration = CreateRuntimeOptions(chatClient, environment, loggerFactory, observers, middleware, tools).Compile();
        _compiled = new CompiledRuns(chatClient, loggerFactory, observers, middleware, tools, configuration);
        return configuration;
    }

    private RuntimeOptions CreateRuntimeOptions(
        IChatClient? chatClient, RuntimeOptions? environment, ILoggerFactory? loggerFactory, IRunObserver[] observers, IStepMiddleware[] middleware, AITool[] tools)
    {
        var runtimeOptions = new RuntimeOptions
        {
            ChatClient = chatClient,
            DefaultModel = options.DefaultModel,
            ModelOverride = options.ModelOverride ?? environment?.ModelOverride,
            Logger = loggerFactory?.CreateLogger("AgentSteps"),
            EnableSensitiveData = options.EnableSensitiveData,
            ApprovalHandler = options.ApprovalHandler,
            MaxConcurrentModelCalls = options.MaxConcurrentModelCalls,
            Budget = options.Budget,
        };

        foreach (var (model, price) in options.Prices)
        {
            runtimeOptions.Prices[model] = price;
        }

        // The options' tools first, then those registered in the container (AddTool).
        foreach (var tool in options.Tools)
        {
            runtimeOptions.Tools.Add(tool);
        }

        foreach (var tool in tools)
        {
            runtimeOptions.Tools.Add(tool);
        }

        foreach (var observer in observers)
        {
            runtimeOptions.Observers.Add(observer);
        }

        foreach (var stage in middleware)
        {
            runtimeOptions.Middleware.Add(stage);
        }

        foreach (var alias in options.ModelAliases)
        {
            runtimeOptions.ModelAliases[alias.Key] = alias.Value;
        }

        return runtimeOptions;
    }

    /// <summary>The last compiled configuration and what it was compiled from.</summary>
    private sealed record CompiledRuns(
        IChatClient? ChatClient, ILoggerFactory? LoggerFactory, IRunObserver[] Observers, IStepMiddleware[] Middleware, AITool[] Tools, RuntimeConfiguration Configuration);
}
