namespace AgentSteps.Examples.Web;

/// <summary>
/// One step of a run as <c>POST /recipes</c> returns it. The app writes its own shape, rather than
/// <see cref="Runtime.ToJson"/>'s, so that the whole response body has one casing (camelCase, results included) and a
/// failed step shows its error type only: an exception's message can carry the model's reply or the provider's answer.
/// </summary>
public sealed record StepTrace(
    string Name,
    string Kind,
    int Loop,
    DateTimeOffset StartedAt,
    double DurationMs,
    string? Model,
    long? InputTokens,
    long? OutputTokens,
    IReadOnlyDictionary<string, object?> Arguments,
    object? Result,
    string? Error,
    IReadOnlyList<StepTrace> Children)
{
    /// <summary>Builds the trace of a step and its children, each list in call order.</summary>
    public static StepTrace From(ExecutedStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return new StepTrace(
            step.Name,
            step.Kind.ToString(),
            step.Loop,
            step.StartedAt,
            Math.Round(step.Duration.TotalMilliseconds, 3),
            step.Model,
            step.Usage?.InputTokenCount,
            step.Usage?.OutputTokenCount,
            step.Arguments,
            step.Result,
            step.Exception?.GetType().Name,
            [.. step.Children.OrderBy(c => c.StartedAt).Select(From)]);
    }
}
