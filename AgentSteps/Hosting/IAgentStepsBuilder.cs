using Microsoft.Extensions.DependencyInjection;

namespace AgentSteps;

/// <summary>
/// Registers AgentSteps workflows and observers in a container; returned by <c>services.AddAgentSteps()</c>. Its methods,
/// <c>AddWorkflow&lt;TWorkflow&gt;()</c> and <c>AddRunObserver(...)</c>, are extension methods, as
/// <c>IHttpClientBuilder</c>'s are.
/// </summary>
public interface IAgentStepsBuilder
{
    /// <summary>Gets the service collection the workflows are registered in.</summary>
    IServiceCollection Services { get; }
}
