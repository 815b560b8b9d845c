using System.ComponentModel;

namespace AgentSteps.Examples.Kitchen;

/// <summary>The sommelier's suggestion.</summary>
public record WinePairing(string Wine, [property: Description("One sentence on why it suits the dish")] string Why);
