namespace AgentSteps.Examples.Recipes;

public record Recipe(string Description, List<string> Ingredients, List<string> Instructions, List<string> Tips);
