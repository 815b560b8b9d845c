namespace AgentSteps.Pipeline;

/// <summary>
/// A budget compiled once: the run's from <see cref="RunBudget"/>, a step's from its <see cref="StepAttribute"/>; each
/// limit with the name a <see cref="BudgetExceededException"/> reports it under.
/// </summary>
internal sealed class BudgetLimits
{
    private BudgetLimits(string? stepName, long? modelCalls, long? inputTokens, long? outputTokens, long? totalTokens, decimal? cost, string outputTokensName)
    {
        StepName = stepName;
        ModelCalls = modelCalls;
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
        TotalTokens = totalTokens;
        Cost = cost;
        OutputTokensName = outputTokensName;
    }

    /// <summary>Gets the qualified name of the step whose subtree the budget covers, or <see langword="null"/> for the run's.</summary>
    public string? StepName { get; }

    public long? ModelCalls { get; }

    public long? InputTokens { get; }

    public long? OutputTokens { get; }

    public long? TotalTokens { get; }

    public decimal? Cost { get; }

    /// <summary>Gets the name of the output-token limit: <see cref="StepAttribute.MaxOutputTokens"/> is a step's per-call cap, so a step's budget names it otherwise.</summary>
    public string OutputTokensName { get; }

    /// <summary>Describes whose budget this is, for an error message.</summary>
    public string Owner => StepName is null ? "RuntimeOptions.Budget" : $"the [Step] attribute of '{StepName}'";

    public static BudgetLimits? For(RunBudget? budget) =>
        budget is null || (budget.MaxModelCalls, budget.MaxInputTokens, budget.MaxOutputTokens, budget.MaxTotalTokens, budget.MaxCost) == (null, null, null, null, null)
            ? null
            : new BudgetLimits(null, budget.MaxModelCalls, budget.MaxInputTokens, budget.MaxOutputTokens, budget.MaxTotalTokens, budget.MaxCost, nameof(RunBudget.MaxOutputTokens));

    public static BudgetLimits? For(StepAttribute attribute, string qualifiedName) =>
        attribute.MaxModelCalls == 0 && attribute.MaxInputTokens == 0 && attribute.MaxSubtreeOutputTokens == 0 && attribute.MaxTotalTokens == 0 && attribute.MaxCost == 0
            ? null
            : new BudgetLimits(
                qualifiedName,
                attribute.MaxModelCalls == 0 ? null : attribute.MaxModelCalls,
                attribute.MaxInputTokens == 0 ? null : attribute.MaxInputTokens,
                attribute.MaxSubtreeOutputTokens == 0 ? null : attribute.MaxSubtreeOutputTokens,
                attribute.MaxTotalTokens == 0 ? null : attribute.MaxTotalTokens,
                attribute.MaxCost == 0 ? null : (decimal)attribute.MaxCost,
                nameof(StepAttribute.MaxSubtreeOutputTokens));
}
