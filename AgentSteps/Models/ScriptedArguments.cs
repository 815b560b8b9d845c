namespace AgentSteps.Models;

/// <summary>The arguments of a scripted tool call as the script wrote them, kept as the call's raw representation.</summary>
/// <param name="Json">The arguments' JSON text.</param>
internal sealed record ScriptedArguments(string Json);
