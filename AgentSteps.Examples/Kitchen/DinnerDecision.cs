using System.ComponentModel;
using System.Text.Json.Serialization;

namespace AgentSteps.Examples.Kitchen;

/// <summary>
/// What to do about a dinner request: a union. The model answers by calling one output tool per variant, and the step
/// returns the variant it chose.
/// </summary>
[JsonDerivedType(typeof(CookAtHome))]
[JsonDerivedType(typeof(OrderTakeaway))]
[JsonDerivedType(typeof(AskTheGuest))]
public abstract record DinnerDecision;

/// <summary>Cook: the planner takes over.</summary>
[Description("Cook the dinner at home")]
public sealed record CookAtHome(string Dish, [property: System.ComponentModel.DataAnnotations.Range(1, 20)] int Servings) : DinnerDecision;

/// <summary>Do not cook: order in.</summary>
[Description("Order a takeaway instead of cooking")]
public sealed record OrderTakeaway(string Cuisine, string Reason) : DinnerDecision;

/// <summary>The request is too vague to act on.</summary>
[Description("Ask the guest a question first, when the request is too vague")]
public sealed record AskTheGuest(string Question) : DinnerDecision;
