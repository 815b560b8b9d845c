using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace AgentSteps.Examples.Kitchen;

/// <summary>The planner's answer: a dish, what to buy and do, and what to drink.</summary>
public record MealPlan(
    string Dish,
    [property: Range(1, 20)] int Servings,
    [property: Description("Ingredients with metric amounts")] List<string> Ingredients,
    List<string> Steps,
    string Wine,
    [property: Description("What was ordered, or why nothing was")] string Shopping);
