namespace AgentSteps.StructuredOutput;

/// <summary>One property an object in a reply may have: its position (to spot duplicates) and the shape of its value.</summary>
/// <param name="Index">The property's position among its object's properties.</param>
/// <param name="Shape">The shape of its value, or <see langword="null"/> for a plain value.</param>
internal readonly record struct ReplyProperty(int Index, ReplyShape? Shape);
