using Microsoft.Extensions.DependencyInjection;

namespace AgentSteps.Hosting;

/// <summary>The builder <c>services.AddAgentSteps()</c> returns.</summary>
internal sealed class AgentStepsBuilder(IServiceCollection services) : IAgentStepsBuilder
{
    public IServiceCollection Services { get; } = services;
}
