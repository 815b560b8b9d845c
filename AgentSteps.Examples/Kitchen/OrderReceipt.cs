namespace AgentSteps.Examples.Kitchen;

/// <summary>What the grocery service says about an order.</summary>
public record OrderReceipt(string OrderId, List<string> Items, string Delivery);
