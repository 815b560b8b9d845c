using System.Text.Json;
using AgentSteps.Examples.Recipes;

namespace AgentSteps.Examples.Web;

/// <summary>The answer to <c>POST /recipes</c>: the recipe, and the run's step tree as <see cref="Runtime.ToJson"/> writes it.</summary>
public sealed record RecipeResponse(Recipe Recipe, JsonElement Steps);
