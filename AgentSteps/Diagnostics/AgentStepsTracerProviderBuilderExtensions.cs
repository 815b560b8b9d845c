using AgentSteps;
using AgentSteps.Internal;

namespace OpenTelemetry.Trace;

/// <summary>Adds AgentSteps' spans to an OpenTelemetry tracer provider.</summary>
public static class AgentStepsTracerProviderBuilderExtensions
{
    /// <summary>
    /// Listens to AgentSteps' spans (one per step, parented as the call tree) and to the GenAI spans of
    /// Microsoft.Extensions.AI's OpenTelemetry chat client (model calls, as children of their step).
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static TracerProviderBuilder AddAgentStepsInstrumentation(this TracerProviderBuilder builder) =>
        Throw.IfNull(builder).AddSource(AgentStepsTelemetry.SourceName, AgentStepsTelemetry.ChatClientSourceName);
}
