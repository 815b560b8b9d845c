using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// The price of a model's tokens, per million, in any one currency (use the same one for every model): an entry of
/// <see cref="RuntimeOptions.Prices"/>.
/// </summary>
/// <param name="InputPerMillion">The price of one million input (prompt) tokens.</param>
/// <param name="OutputPerMillion">The price of one million output (completion) tokens, reasoning tokens included.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    /// <summary>Gets the price of one million input tokens that the provider reports as read from its prompt cache.</summary>
    /// <value>The default value is <see langword="null"/>: cached input tokens cost <see cref="InputPerMillion"/>.</value>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>Computes the cost of one call's usage.</summary>
    internal decimal CostOf(UsageDetails usage)
    {
        long input = usage.InputTokenCount ?? 0;
        long cached = Math.Clamp(usage.CachedInputTokenCount ?? 0, 0, input);
        long output = usage.OutputTokenCount ?? 0;
        return ((input - cached) * InputPerMillion + cached * (CachedInputPerMillion ?? InputPerMillion) + output * OutputPerMillion) / 1_000_000m;
    }
}
