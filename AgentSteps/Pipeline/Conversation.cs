using AgentSteps.Inspection;
using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// Builds an LLM step's conversation: the system prompt, the user prompt rendered from the arguments, the model's replies
/// and the corrections sent after invalid ones. The same list is sent to the model and kept as <see cref="ExecutedStep.Messages"/>.
/// The system message is one instance per step, shared by its calls: nothing changes a message once sent.
/// </summary>
internal static class Conversation
{
    public static List<ChatMessage> Start(StepDescriptor descriptor, object?[] arguments)
    {
        var messages = new List<ChatMessage>(4);
        if (descriptor.SystemMessage is { } system)
        {
            messages.Add(system);
        }

        messages.Add(new ChatMessage(ChatRole.User, descriptor.Prompt!.Render(arguments)));
        return messages;
    }

    public static void AddReply(List<ChatMessage> messages, ChatResponse response, string reply)
    {
        // A plain-text reply is kept as its text alone: the provider's message holds its raw response (the whole HTTP
        // reply for the OpenAI client), which a run's trace should not keep alive.
        bool textOnly = true;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                textOnly &= content is TextContent;
            }
        }

        lock (messages)
        {
            if (textOnly)
            {
                messages.Add(new ChatMessage(ChatRole.Assistant, reply));
            }
            else
            {
                messages.AddRange(response.Messages);
            }
        }
    }

    /// <summary>
    /// Asks again after an invalid reply. The reply as the conversation holds it is cut to its start and end first, so
    /// that a huge invalid reply is neither sent back whole on every retry nor kept whole by the trace.
    /// </summary>
    public static void AddCorrection(List<ChatMessage> messages, string reply, IReadOnlyList<string> errors)
    {
        var correction = new ChatMessage(ChatRole.User, Correction.Message(errors));
        var echo = Correction.Echo(reply);
        lock (messages)
        {
            if (!ReferenceEquals(echo, reply) && messages[^1].Role == ChatRole.Assistant)
            {
                messages[^1] = new ChatMessage(ChatRole.Assistant, echo);
            }

            messages.Add(correction);
        }
    }
}
