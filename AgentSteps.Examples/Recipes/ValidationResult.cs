namespace AgentSteps.Examples.Recipes;

public record ValidationResult(bool IsValid, string? Reason = null);
