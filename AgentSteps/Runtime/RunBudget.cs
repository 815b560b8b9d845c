namespace AgentSteps;

/// <summary>
/// Limits on what one run may spend on models: calls, tokens and cost. Set it on <see cref="RuntimeOptions.Budget"/>; the
/// same limits on <see cref="StepAttribute"/> apply to one step's whole subtree. Each limit is optional.
/// </summary>
/// <remarks>
/// A limit is checked before every model call (output corrections and tool rounds included): once what the run has used
/// reaches it, no further call is made and the step that would have made it fails with
/// <see cref="BudgetExceededException"/>. The call that reaches a token or cost limit is not cut short, so usage may end
/// above a token or cost limit by that call's share; <see cref="MaxModelCalls"/> is never exceeded. See docs/budgets.md.
/// </remarks>
public sealed class RunBudget
{
    private readonly int? _maxModelCalls;
    private readonly long? _maxInputTokens;
    private readonly long? _maxOutputTokens;
    private readonly long? _maxTotalTokens;
    private readonly decimal? _maxCost;

    /// <summary>Gets the number of model requests the run may make.</summary>
    /// <value>The default value is <see langword="null"/>: no limit. 0 allows no call.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int? MaxModelCalls
    {
        get => _maxModelCalls;
        init => _maxModelCalls = NotNegative(value);
    }

    /// <summary>Gets the number of input (prompt) tokens the run may use, as the provider reports them.</summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long? MaxInputTokens
    {
        get => _maxInputTokens;
        init => _maxInputTokens = NotNegative(value);
    }

    /// <summary>Gets the number of output (completion) tokens the run may use, as the provider reports them.</summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long? MaxOutputTokens
    {
        get => _maxOutputTokens;
        init => _maxOutputTokens = NotNegative(value);
    }

    /// <summary>
    /// Gets the number of tokens, input and output together, the run may use: the provider's total when it reports one,
    /// otherwise input plus output.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long? MaxTotalTokens
    {
        get => _maxTotalTokens;
        init => _maxTotalTokens = NotNegative(value);
    }

    /// <summary>
    /// Gets the cost the run may reach, in the currency of <see cref="RuntimeOptions.Prices"/>. Every model the run calls
    /// must then have a price: a call of a model without one is refused with <see cref="InvalidOperationException"/>,
    /// since its cost could not be counted.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public decimal? MaxCost
    {
        get => _maxCost;
        init => _maxCost = NotNegative(value);
    }

    private static T? NotNegative<T>(T? value, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
        where T : struct, System.Numerics.INumberBase<T>
    {
        if (value is { } v && T.IsNegative(v))
        {
            throw new ArgumentOutOfRangeException(name, v, $"RunBudget.{name} must be zero or more (zero allows nothing); leave it unset for no limit.");
        }

        return value;
    }
}
