using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>One request a <see cref="ScriptedChatClient"/> received.</summary>
/// <param name="Messages">The messages sent, in order.</param>
/// <param name="Options">A copy of the options sent, or <see langword="null"/>.</param>
public sealed record ScriptedChatRequest(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)
{
    /// <summary>Gets the text of the system message, or <see langword="null"/> when there is none.</summary>
    public string? SystemPrompt => Messages.FirstOrDefault(m => m.Role == ChatRole.System)?.Text;

    /// <summary>Gets the text of the last message.</summary>
    public string LastMessage => Messages.Count == 0 ? string.Empty : Messages[^1].Text;
}
