using AgentSteps;
using AgentSteps.Internal;

namespace OpenTelemetry.Metrics;

/// <summary>Adds AgentSteps' metrics to an OpenTelemetry meter provider.</summary>
public static class AgentStepsMeterProviderBuilderExtensions
{
    /// <summary>Listens to AgentSteps' step counts, durations and tokens, and to Microsoft.Extensions.AI's GenAI client metrics.</summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static MeterProviderBuilder AddAgentStepsInstrumentation(this MeterProviderBuilder builder) =>
        Throw.IfNull(builder).AddMeter(AgentStepsTelemetry.SourceName, AgentStepsTelemetry.ChatClientSourceName);
}
