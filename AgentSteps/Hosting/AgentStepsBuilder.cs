using AgentSteps.Hosting;
using AgentSteps.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers AgentSteps workflows in a container; returned by <c>services.AddAgentSteps()</c>.</summary>
public sealed class AgentStepsBuilder
{
    internal AgentStepsBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the service collection the workflows are registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers a workflow: resolving <typeparamref name="TWorkflow"/> gives a proxied instance whose constructor
    /// dependencies come from the container, and whose top-level step calls each open their own run (or use the ambient
    /// runtime, when one is open). The class is checked now, so a mistake fails at start-up.
    /// </summary>
    /// <typeparam name="TWorkflow">The workflow class.</typeparam>
    /// <param name="lifetime">The lifetime of the workflow instance.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="AgentSteps.WorkflowDefinitionException">The workflow class cannot work as written.</exception>
    public AgentStepsBuilder AddWorkflow<TWorkflow>(ServiceLifetime lifetime = ServiceLifetime.Transient)
        where TWorkflow : class
    {
        AgentSteps.Inspection.WorkflowInspector.Inspect(typeof(TWorkflow));
        Services.Add(new ServiceDescriptor(
            typeof(TWorkflow),
            services => services.GetRequiredService<AgentStepsServices>().CreateWorkflow(services, typeof(TWorkflow)),
            lifetime));
        return this;
    }

    /// <summary>Registers an observer that receives every finished run.</summary>
    /// <param name="observer">The observer.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="observer"/> is <see langword="null"/>.</exception>
    public AgentStepsBuilder AddRunObserver(AgentSteps.IRunObserver observer)
    {
        Services.AddSingleton(Throw.IfNull(observer));
        return this;
    }
}
