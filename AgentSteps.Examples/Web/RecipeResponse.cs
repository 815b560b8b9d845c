using AgentSteps.Examples.Recipes;

namespace AgentSteps.Examples.Web;

/// <summary>The answer to <c>POST /recipes</c>: the recipe, the run's id, and its step tree in call order.</summary>
public sealed record RecipeResponse(Recipe Recipe, string RunId, IReadOnlyList<StepTrace> Steps);
