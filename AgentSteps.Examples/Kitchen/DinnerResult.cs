namespace AgentSteps.Examples.Kitchen;

/// <summary>What hosting a dinner came to: the decision, and the plan when the decision was to cook.</summary>
public record DinnerResult(DinnerDecision Decision, MealPlan? Plan);
