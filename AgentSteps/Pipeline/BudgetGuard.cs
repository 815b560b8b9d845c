using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// Stops a model call that a run's or a step's budget no longer allows, before it is made, and counts each call's usage
/// and cost against the run (<see cref="Runtime.Usage"/>) and every enclosing step with a budget of its own.
/// </summary>
/// <remarks>
/// A call is counted when it starts, so <c>MaxModelCalls</c> holds exactly however many steps run in parallel. Tokens and
/// cost are counted when a reply returns: calls already in flight when a token or cost limit is reached still finish and
/// add theirs, so usage can end above such a limit by at most what those calls used. A run without budgets or prices pays
/// one lock per model call and nothing per code step.
/// </remarks>
internal static class BudgetGuard
{
    /// <summary>Throws when a budget that applies to the step has been reached; called before each model call, which it then counts.</summary>
    /// <exception cref="BudgetExceededException">The run's budget or that of an enclosing step has been reached.</exception>
    /// <exception cref="InvalidOperationException">A budget with a cost limit applies and <paramref name="model"/> has no price.</exception>
    public static void BeforeModelCall(StepContext context, string model)
    {
        var step = context.Step;
        var runtime = step.Owner;
        var configuration = runtime.Configuration;
        var runBudget = configuration.Budget;
        var priced = configuration.PriceOf(model) is not null;
        if (!priced)
        {
            step.ModelRecord.AddCost(null);
            if (CostLimitOver(runBudget, step) is { } owner)
            {
                throw new InvalidOperationException(
                    $"LLM step '{context.Descriptor.QualifiedName}' calls model '{model}', which has no price, under the MaxCost of {owner}: its cost could not be counted. " +
                    $"Add a price for '{model}' to RuntimeOptions.Prices, or remove MaxCost.");
            }
        }

        var run = runtime.UsageTally;
        if (run.TryStartCall(runBudget) is { } refused)
        {
            throw Exceeded(context, refused, budgetStepName: null);
        }

        for (var enclosing = step; enclosing is not null; enclosing = enclosing.Parent)
        {
            if (enclosing.Budget is { } limits && enclosing.SubtreeUsage.TryStartCall(limits) is { } stepRefused)
            {
                // Take back the call counted against the budgets checked before this one.
                run.CancelCall();
                for (var counted = step; counted != enclosing; counted = counted.Parent!)
                {
                    if (counted.Budget is not null)
                    {
                        counted.SubtreeUsage.CancelCall();
                    }
                }

                throw Exceeded(context, stepRefused, limits.StepName);
            }
        }

        if (!priced)
        {
            run.AddUnpriced(model);
        }
    }

    /// <summary>Counts a reply's usage and cost against the step, the run and every enclosing step with a budget.</summary>
    public static void AfterModelCall(StepContext context, string model, UsageDetails? usage)
    {
        var step = context.Step;
        var runtime = step.Owner;
        decimal? cost = usage is not null && runtime.Configuration.PriceOf(model) is { } price ? price.CostOf(usage) : null;
        step.ModelRecord.AddCost(cost);
        runtime.UsageTally.Add(usage, cost);
        for (var enclosing = step; enclosing is not null; enclosing = enclosing.Parent)
        {
            if (enclosing.Budget is not null)
            {
                enclosing.SubtreeUsage.Add(usage, cost);
            }
        }
    }

    /// <summary>Counts a retry the client made on its own (HTTP 429 or 5xx): part of a call already allowed, so never refused.</summary>
    public static void CountClientRetry(ExecutedStep step)
    {
        step.Owner.UsageTally.CountRetry();
        for (var enclosing = step; enclosing is not null; enclosing = enclosing.Parent)
        {
            if (enclosing.Budget is not null)
            {
                enclosing.SubtreeUsage.CountRetry();
            }
        }
    }

    /// <summary>Describes the nearest budget with a cost limit that applies to a call of <paramref name="step"/>, or returns <see langword="null"/>.</summary>
    private static string? CostLimitOver(BudgetLimits? runBudget, ExecutedStep step)
    {
        for (var enclosing = step; enclosing is not null; enclosing = enclosing.Parent)
        {
            if (enclosing.Budget is { Cost: not null } limits)
            {
                return limits.Owner;
            }
        }

        return runBudget is { Cost: not null } ? runBudget.Owner : null;
    }

    private static BudgetExceededException Exceeded(StepContext context, (string Limit, decimal Value, decimal Used) refused, string? budgetStepName) =>
        new(context.Descriptor.QualifiedName, refused.Limit, refused.Value, refused.Used, budgetStepName);
}
