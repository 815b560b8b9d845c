using AgentSteps;
using AgentSteps.Hosting;
using AgentSteps.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers workflows and run observers on the builder <c>services.AddAgentSteps()</c> returns.</summary>
public static class AgentStepsBuilderExtensions
{
    /// <summary>
    /// Registers a workflow: resolving <typeparamref name="TWorkflow"/> gives a proxied instance whose constructor
    /// dependencies come from the container (the constructor is chosen as <c>ActivatorUtilities</c> chooses one), and
    /// whose top-level step calls each open their own run (or use the ambient runtime, when one is open). The class is
    /// checked now, so a mistake fails at start-up.
    /// </summary>
    /// <typeparam name="TWorkflow">The workflow class.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="lifetime">The lifetime of the workflow instance.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="WorkflowDefinitionException">The workflow class cannot work as written.</exception>
    public static IAgentStepsBuilder AddWorkflow<TWorkflow>(this IAgentStepsBuilder builder, ServiceLifetime lifetime = ServiceLifetime.Transient)
        where TWorkflow : class
    {
        Throw.IfNull(builder);
        AgentSteps.Inspection.WorkflowInspector.Inspect(typeof(TWorkflow));
        builder.Services.Add(new ServiceDescriptor(
            typeof(TWorkflow),
            services => services.GetRequiredService<AgentStepsServices>().CreateWorkflow(services, typeof(TWorkflow)),
            lifetime));
        return builder;
    }

    /// <summary>Registers an observer that receives every run a workflow resolved from the container opened for itself.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="observer">The observer.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="observer"/> is <see langword="null"/>.</exception>
    public static IAgentStepsBuilder AddRunObserver(this IAgentStepsBuilder builder, IRunObserver observer)
    {
        Throw.IfNull(builder);
        builder.Services.AddSingleton(Throw.IfNull(observer));
        return builder;
    }

    /// <summary>
    /// Adds middleware to the pipeline of every step call of the runs that workflows resolved from the container open
    /// (see <see cref="IStepMiddleware"/>); middleware runs in the order added. Middleware registered as
    /// <see cref="IStepMiddleware"/> services by other means runs too.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="middleware">The middleware; one instance serves every call, on many threads.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="middleware"/> is <see langword="null"/>.</exception>
    public static IAgentStepsBuilder Use(this IAgentStepsBuilder builder, IStepMiddleware middleware)
    {
        Throw.IfNull(builder);
        builder.Services.AddSingleton(Throw.IfNull(middleware));
        return builder;
    }

    /// <summary>Adds middleware written as a function of the call and the rest of the pipeline, as <see cref="RuntimeOptions.Use(Func{StepContext, StepHandler, ValueTask{object}})"/> does.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="middleware">The function; it may call <c>next</c> zero, one or several times.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="middleware"/> is <see langword="null"/>.</exception>
    public static IAgentStepsBuilder Use(this IAgentStepsBuilder builder, Func<StepContext, StepHandler, ValueTask<object?>> middleware) =>
        builder.Use(new AgentSteps.Pipeline.DelegateMiddleware(Throw.IfNull(middleware)));

    /// <summary>
    /// Adds a tool that LLM steps may offer by name (<see cref="StepAttribute.Tools"/>), as <see cref="RuntimeOptions.Tools"/>
    /// does: any <see cref="Microsoft.Extensions.AI.AIFunction"/>, such as one made with <c>AIFunctionFactory.Create</c>
    /// or listed from an MCP server. Tools may also be registered as <see cref="Microsoft.Extensions.AI.AITool"/> services directly.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="tool">The tool.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="tool"/> is <see langword="null"/>.</exception>
    public static IAgentStepsBuilder AddTool(this IAgentStepsBuilder builder, Microsoft.Extensions.AI.AITool tool)
    {
        Throw.IfNull(builder);
        builder.Services.AddSingleton(Throw.IfNull(tool));
        return builder;
    }

    /// <summary>Adds tools that LLM steps may offer by name (see <see cref="AddTool"/>), such as those an MCP server lists.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="tools">The tools.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="tools"/> (or one of them) is <see langword="null"/>.</exception>
    public static IAgentStepsBuilder AddTools(this IAgentStepsBuilder builder, IEnumerable<Microsoft.Extensions.AI.AITool> tools)
    {
        Throw.IfNull(builder);
        foreach (var tool in Throw.IfNull(tools))
        {
            builder.AddTool(tool);
        }

        return builder;
    }
}
