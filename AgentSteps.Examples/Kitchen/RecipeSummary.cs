namespace AgentSteps.Examples.Kitchen;

/// <summary>A recipe in the recipe book, as a search finds it.</summary>
public record RecipeSummary(string Title, int Minutes, List<string> Ingredients);
