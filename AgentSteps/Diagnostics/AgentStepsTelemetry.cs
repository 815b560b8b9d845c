using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentSteps;

/// <summary>
/// The names under which AgentSteps reports to OpenTelemetry: one <see cref="ActivitySource"/> with a span per step, and
/// one <see cref="Meter"/> with step counts, durations and tokens. Model calls made through a client wrapped with
/// Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> report GenAI spans as children of their step's span.
/// </summary>
public static class AgentStepsTelemetry
{
    /// <summary>The name of AgentSteps' activity source and meter.</summary>
    public const string SourceName = "AgentSteps";

    /// <summary>The activity source name Microsoft.Extensions.AI's OpenTelemetry chat client uses by default.</summary>
    public const string ChatClientSourceName = "Experimental.Microsoft.Extensions.AI";

    internal static readonly ActivitySource ActivitySource = new(SourceName, typeof(AgentStepsTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Meter Meter = new(SourceName, typeof(AgentStepsTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Steps = Meter.CreateCounter<long>("agentsteps.step.count", "{step}", "Finished steps, by step, kind and outcome.");

    internal static readonly Histogram<double> Durations = Meter.CreateHistogram<double>("agentsteps.step.duration", "s", "How long steps take, children included.");

    internal static readonly Counter<long> Tokens = Meter.CreateCounter<long>("agentsteps.tokens", "{token}", "Tokens used by LLM steps, by step, model and type (input or output).");
}
