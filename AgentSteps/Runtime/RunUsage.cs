namespace AgentSteps;

/// <summary>
/// What a run has used of its models so far (<see cref="Runtime.Usage"/>): calls, tokens and cost, and what the cost
/// leaves out, so that an unknown cost never reads as zero.
/// </summary>
public sealed class RunUsage
{
    internal RunUsage(int modelCalls, long inputTokens, long outputTokens, long totalTokens, decimal cost, IReadOnlyList<string> modelsWithoutPrice, int callsWithoutUsage)
    {
        ModelCalls = modelCalls;
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
        TotalTokens = totalTokens;
        Cost = cost;
        ModelsWithoutPrice = modelsWithoutPrice;
        CallsWithoutUsage = callsWithoutUsage;
    }

    /// <summary>
    /// Gets the number of model requests made: every call of an LLM step (output corrections and tool rounds included),
    /// calls that failed included, and the retries the client made on its own when it reports them (as
    /// <see cref="ExecutedStep.ModelCalls"/> counts them).
    /// </summary>
    public int ModelCalls { get; }

    /// <summary>Gets the input (prompt) tokens the provider reported over all replies.</summary>
    public long InputTokens { get; }

    /// <summary>Gets the output (completion) tokens the provider reported over all replies.</summary>
    public long OutputTokens { get; }

    /// <summary>Gets the total tokens over all replies: the provider's total when it reports one, otherwise input plus output.</summary>
    public long TotalTokens { get; }

    /// <summary>
    /// Gets the cost of the replies whose model has a price in <see cref="RuntimeOptions.Prices"/>. It leaves out the
    /// calls of <see cref="ModelsWithoutPrice"/> and the <see cref="CallsWithoutUsage"/>: when either is not empty, the
    /// true cost is higher.
    /// </summary>
    public decimal Cost { get; }

    /// <summary>Gets the models the run called that have no entry in <see cref="RuntimeOptions.Prices"/>, in the order first called.</summary>
    public IReadOnlyList<string> ModelsWithoutPrice { get; }

    /// <summary>Gets the number of replies that reported no token usage, whose tokens and cost are therefore not counted.</summary>
    public int CallsWithoutUsage { get; }

    /// <summary>Gets a value indicating whether <see cref="Cost"/> covers every reply: every model had a price and every reply reported its usage.</summary>
    public bool IsCostComplete => ModelsWithoutPrice.Count == 0 && CallsWithoutUsage == 0;

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ModelCalls} model calls, {InputTokens} in / {OutputTokens} out tokens, cost {Cost}") +
        (ModelsWithoutPrice.Count > 0 ? " (no price for " + string.Join(", ", ModelsWithoutPrice) + ")" : string.Empty);
}
