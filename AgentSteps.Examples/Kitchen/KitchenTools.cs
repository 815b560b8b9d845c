using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.AI;

namespace AgentSteps.Examples.Kitchen;

/// <summary>The kitchen's external tools: plain functions, offered to the model through <see cref="RuntimeOptions.Tools"/>.</summary>
public static class KitchenTools
{
    /// <summary>Gets <c>convert_units</c>, a function made with <see cref="AIFunctionFactory"/>.</summary>
    public static AIFunction ConvertUnits { get; } = AIFunctionFactory.Create(Convert, "convert_units", "Converts an amount in a US kitchen unit to metric.");

    private static string Convert([Description("The amount, such as 1.5.")] double amount, [Description("The US unit the amount is in.")] UsUnit unit)
    {
        var (metric, name) = unit switch
        {
            UsUnit.Cup => (amount * 236.59, "ml"),
            UsUnit.Tablespoon => (amount * 14.79, "ml"),
            UsUnit.Teaspoon => (amount * 4.93, "ml"),
            UsUnit.Ounce => (amount * 28.35, "g"),
            UsUnit.Pound => (amount * 453.59, "g"),
            UsUnit.Fahrenheit => ((amount - 32) * 5 / 9, "°C"),
            _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown unit."),
        };
        return string.Create(CultureInfo.InvariantCulture, $"{amount:0.##} {unit.ToString().ToLowerInvariant()} = {metric:0.#} {name}");
    }
}
