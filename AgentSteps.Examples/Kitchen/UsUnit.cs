namespace AgentSteps.Examples.Kitchen;

/// <summary>The US kitchen units that <c>convert_units</c> turns into metric ones.</summary>
public enum UsUnit
{
    Cup,
    Tablespoon,
    Teaspoon,
    Ounce,
    Pound,
    Fahrenheit,
}
