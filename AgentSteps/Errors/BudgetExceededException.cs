using System.Globalization;

namespace AgentSteps;

/// <summary>
/// Thrown instead of a model call when a budget that applies to it has been reached: the run's
/// (<see cref="RuntimeOptions.Budget"/>) or that of a step enclosing the call (<see cref="StepAttribute.MaxModelCalls"/>
/// and the other limits on <see cref="StepAttribute"/>). The call is not made; the LLM step that would have made it fails
/// with this exception, recorded on its <see cref="ExecutedStep.Exception"/>.
/// </summary>
public sealed class BudgetExceededException : AgentStepsException
{
    /// <summary>Initializes a new instance of the <see cref="BudgetExceededException"/> class.</summary>
    /// <param name="stepName">The qualified name of the LLM step whose model call was refused, such as <c>RecipeWorkflow.DraftRecipe</c>.</param>
    /// <param name="limit">The name of the limit that was reached, such as <c>MaxTotalTokens</c>.</param>
    /// <param name="limitValue">The limit's value.</param>
    /// <param name="used">What had been used against the limit when the call was refused.</param>
    /// <param name="budgetStepName">
    /// The qualified name of the step whose subtree budget was reached, or <see langword="null"/> for the run's budget.
    /// </param>
    public BudgetExceededException(string stepName, string limit, decimal limitValue, decimal used, string? budgetStepName = null)
        : base(Describe(stepName, limit, limitValue, used, budgetStepName))
    {
        StepName = stepName;
        Limit = limit;
        LimitValue = limitValue;
        Used = used;
        BudgetStepName = budgetStepName;
    }

    /// <summary>Gets the qualified name of the LLM step whose model call was refused.</summary>
    public string StepName { get; }

    /// <summary>
    /// Gets the name of the limit that was reached: <c>MaxModelCalls</c>, <c>MaxInputTokens</c>, <c>MaxOutputTokens</c>,
    /// <c>MaxTotalTokens</c> or <c>MaxCost</c> for the run's budget; the name of the <see cref="StepAttribute"/> property
    /// (<c>MaxSubtreeOutputTokens</c> for output tokens) for a step's.
    /// </summary>
    public string Limit { get; }

    /// <summary>Gets the limit's value: a number of calls or tokens, or a cost.</summary>
    public decimal LimitValue { get; }

    /// <summary>Gets what had been used against the limit when the call was refused (at least <see cref="LimitValue"/>).</summary>
    public decimal Used { get; }

    /// <summary>
    /// Gets the qualified name of the step whose budget for its whole subtree was reached, or <see langword="null"/> when it
    /// was the run's budget (<see cref="RuntimeOptions.Budget"/>).
    /// </summary>
    public string? BudgetStepName { get; }

    private static string Describe(string stepName, string limit, decimal limitValue, decimal used, string? budgetStepName)
    {
        var amounts = string.Create(CultureInfo.InvariantCulture, $"{limit} = {limitValue}, used {used}");
        return budgetStepName is null
            ? $"LLM step '{stepName}' made no model call: the run's budget is spent ({amounts}). " +
              $"Raise RuntimeOptions.Budget.{limit}, or have the workflow ask the model for less."
            : $"LLM step '{stepName}' made no model call: the budget of step '{budgetStepName}' for its whole subtree is spent ({amounts}). " +
              $"Raise {limit} on the [Step] attribute of '{budgetStepName}', or have it ask the model for less.";
    }
}
