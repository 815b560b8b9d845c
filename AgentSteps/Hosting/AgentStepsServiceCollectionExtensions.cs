using AgentSteps;
using AgentSteps.Hosting;
using AgentSteps.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds AgentSteps to a service collection.</summary>
public static class AgentStepsServiceCollectionExtensions
{
    /// <summary>
    /// Adds AgentSteps: models come from the <c>IChatClient</c> registered with <c>services.AddChatClient(...)</c> (a keyed
    /// <c>IChatClient</c> registered under a model name wins for that model), else from the environment.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options; called again on the same options when AgentSteps is added twice.</param>
    /// <returns>A builder to register workflows with.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IAgentStepsBuilder AddAgentSteps(this IServiceCollection services, Action<AgentStepsOptions>? configure = null)
    {
        Throw.IfNull(services);
        var options = services.FirstOrDefault(d => d.ServiceType == typeof(AgentStepsOptions))?.ImplementationInstance as AgentStepsOptions;
        if (options is null)
        {
            options = new AgentStepsOptions();
            services.AddSingleton(options);
        }

        configure?.Invoke(options);
        services.TryAddSingleton<AgentStepsServices>();
        services.TryAddScoped<IRunAccessor, RunAccessor>();
        return new AgentStepsBuilder(services);
    }
}
