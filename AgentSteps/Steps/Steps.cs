using System.Reflection;
using System.Runtime.ExceptionServices;
using AgentSteps.Inspection;
using AgentSteps.Internal;
using AgentSteps.Pipeline;
using Castle.DynamicProxy;

namespace AgentSteps;

/// <summary>Creates workflow instances whose [Step] methods run inside the ambient <see cref="Runtime"/>.</summary>
public static class Steps
{
    // One generator for the process: Castle caches proxy types per generator, and each new one would grow memory.
    private static readonly ProxyGenerator s_generator = new();
    private static readonly ProxyGenerationOptions s_options = new(new StepProxyGenerationHook());

    /// <summary>
    /// Creates an instance of a workflow class whose [Step] methods are intercepted. The class is checked first: a
    /// mistake (a non-virtual step, an LLM step with a body, an unsupported return type...) fails here, naming the
    /// method and the fix.
    /// </summary>
    /// <typeparam name="TWorkflow">The workflow class: public (or internal with <c>InternalsVisibleTo("DynamicProxyGenAssembly2")</c>), not sealed.</typeparam>
    /// <param name="constructorArguments">The arguments for the workflow's constructor.</param>
    /// <returns>The workflow instance.</returns>
    /// <exception cref="WorkflowDefinitionException">The class cannot work as a workflow.</exception>
    /// <exception cref="ArgumentException">No constructor of the class takes <paramref name="constructorArguments"/>; the message lists the constructors there are.</exception>
    /// <remarks>An exception thrown by the workflow's own constructor reaches the caller as it was thrown, not wrapped.</remarks>
    public static TWorkflow Create<TWorkflow>(params object?[] constructorArguments)
        where TWorkflow : class =>
        (TWorkflow)Create(typeof(TWorkflow), constructorArguments);

    /// <summary>Creates an instance of a workflow class whose [Step] methods are intercepted.</summary>
    /// <param name="workflowType">The workflow class.</param>
    /// <param name="constructorArguments">The arguments for the workflow's constructor.</param>
    /// <returns>The workflow instance.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="workflowType"/> is <see langword="null"/>.</exception>
    /// <exception cref="WorkflowDefinitionException">The class cannot work as a workflow.</exception>
    /// <exception cref="ArgumentException">No constructor of the class takes <paramref name="constructorArguments"/>; the message lists the constructors there are.</exception>
    /// <remarks>An exception thrown by the workflow's own constructor reaches the caller as it was thrown, not wrapped.</remarks>
    public static object Create(Type workflowType, params object?[] constructorArguments) =>
        Create(Throw.IfNull(workflowType), binding: null, constructorArguments);

    /// <summary>Creates a workflow proxy; a bound one opens its own run for each top-level call made with no runtime open.</summary>
    internal static object Create(Type workflowType, Hosting.RunBinding? binding, object?[]? constructorArguments)
    {
        var workflow = WorkflowInspector.Inspect(workflowType);
        var interceptor = binding is null ? workflow.Interceptor : new StepInterceptor(workflow, binding);
        try
        {
            return s_generator.CreateClassProxy(workflowType, s_options, constructorArguments ?? [], interceptor);
        }
        catch (ArgumentException e) when (e.ParamName == "constructorArguments")
        {
            var given = constructorArguments is null || constructorArguments.Length == 0
                ? "no arguments"
                : string.Join(", ", constructorArguments.Select(a => a is null ? "null" : StepNames.TypeName(a.GetType())));
            var constructors = workflowType
                .GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(c => c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly)
                .Select(c => $"{StepNames.TypeName(workflowType)}({string.Join(", ", c.GetParameters().Select(p => $"{StepNames.TypeName(p.ParameterType)} {p.Name}"))})")
                .ToList();
            var existing = constructors.Count == 0 ? "It has no public or protected constructor." : "Its constructors: " + string.Join("; ", constructors) + ".";
            throw new ArgumentException(
                $"Workflow '{StepNames.TypeName(workflowType)}' has no accessible constructor that takes ({given}). {existing} Pass arguments that match one of them.",
                nameof(constructorArguments),
                e);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            // The workflow's own constructor threw: rethrow its exception, with its stack, as 'new' would have.
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
