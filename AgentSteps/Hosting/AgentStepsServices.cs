using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentSteps.Hosting;

/// <summary>
/// Builds bound workflows for the container: each opens runs configured from the container (its <see cref="IChatClient"/>,
/// keyed clients by model name, logging), falling back to the environment, and reports finished runs.
/// </summary>
internal sealed class AgentStepsServices(AgentStepsOptions options)
{
    private static readonly ConcurrentDictionary<Type, ConstructorInfo> s_constructors = new();

    private readonly Lazy<RuntimeOptions> _environment = new(RuntimeOptions.FromEnvironment);

    public object CreateWorkflow(IServiceProvider services, Type workflowType)
    {
        var accessor = TryGetAccessor(services);
        var binding = new RunBinding(
            () => new Runtime(CreateRuntimeOptions(services).Compile(), ambient: false),
            run => accessor?.Add(run));
        return Steps.Create(workflowType, binding, ConstructorArguments(services, workflowType));
    }

    private static RunAccessor? TryGetAccessor(IServiceProvider services)
    {
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

    private static object?[] ConstructorArguments(IServiceProvider services, Type workflowType)
    {
        var constructor = s_constructors.GetOrAdd(workflowType, static type => type
            .GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(c => c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly)
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault() ?? throw new InvalidOperationException(
                $"Workflow '{type.Name}' has no public or protected constructor. Add one so that the container can create it."));

        var parameters = constructor.GetParameters();
        var arguments = new object?[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            arguments[i] = services.GetService(parameter.ParameterType) ?? (parameter.HasDefaultValue
                ? parameter.DefaultValue
                : throw new InvalidOperationException(
                    $"Workflow '{workflowType.Name}' needs a {parameter.ParameterType.Name} for its constructor parameter '{parameter.Name}', but none is registered. Register one in the container."));
        }

        return arguments;
    }

    private RuntimeOptions CreateRuntimeOptions(IServiceProvider services)
    {
        var environment = options.UseEnvironment ? _environment.Value : null;
        var runtimeOptions = new RuntimeOptions
        {
            ChatClient = services.GetService<IChatClient>() ?? environment?.ChatClient,
            DefaultModel = options.DefaultModel,
            ModelOverride = options.ModelOverride ?? environment?.ModelOverride,
            Logger = services.GetService<ILoggerFactory>()?.CreateLogger("AgentSteps"),
            EnableSensitiveData = options.EnableSensitiveData,
            ModelClientLookup = services is IKeyedServiceProvider keyed ? model => keyed.GetKeyedService<IChatClient>(model) : null,
        };
        foreach (var observer in services.GetServices<IRunObserver>())
        {
            runtimeOptions.Observers.Add(observer);
        }

        foreach (var alias in options.ModelAliases)
        {
            runtimeOptions.ModelAliases[alias.Key] = alias.Value;
        }

        return runtimeOptions;
    }
}
