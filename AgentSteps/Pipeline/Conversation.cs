using AgentSteps.Inspection;
using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// Builds an LLM step's conversation: the system prompt, the user prompt rendered from the arguments, the model's replies
/// and the corrections sent after invalid ones. The same list is sent to the model and kept as <see cref="ExecutedStep.Messages"/>.
/// </summary>
internal static class Conversation
{
    public static List<ChatMessage> Start(StepDescriptor descriptor, object?[] arguments)
    {
        var messages = new List<ChatMessage>(4);
        if (descriptor.SystemPrompt is { } systemPrompt)
        {
            messages.Add(new ChatMessage(ChatRole.System, systemPrompt));
        }

        messages.Add(new ChatMessage(ChatRole.User, descriptor.Prompt!.Render(arguments)));
        return messages;
    }

    public static void AddReply(List<ChatMessage> messages, ChatResponse response)
    {
        lock (messages)
        {
            if (response.Messages.Count == 0)
            {
                messages.Add(new ChatMessage(ChatRole.Assistant, string.Empty));
                return;
            }

            messages.AddRange(response.Messages);
        }
    }

    public static void AddCorrection(List<ChatMessage> messages, IReadOnlyList<string> errors)
    {
        var correction = new ChatMessage(ChatRole.User, Correction(errors));
        lock (messages)
        {
            messages.Add(correction);
        }
    }

    private static string Correction(IReadOnlyList<string> errors) =>
        "Your reply was not valid for the required JSON schema:\n- " + string.Join("\n- ", errors) +
        "\nReply again with only a JSON value that matches the schema.";
}
