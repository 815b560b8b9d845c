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

    /// <summary>Gets the tool calls of a reply, or <see langword="null"/> when it has none.</summary>
    public static List<FunctionCallContent>? ToolCalls(ChatResponse response)
    {
        List<FunctionCallContent>? calls = null;
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent call)
                {
                    (calls ??= []).Add(call);
                }
            }
        }

        return calls;
    }

    /// <summary>
    /// Keeps a reply that called tools: its text, if any, and its calls, copied without the provider's raw objects (which
    /// the trace should not keep alive).
    /// </summary>
    public static void AddToolCalls(List<ChatMessage> messages, string text, List<FunctionCallContent> calls)
    {
        var contents = new List<AIContent>(calls.Count + 1);
        if (text.Length > 0)
        {
            contents.Add(new TextContent(Correction.Echo(text)));
        }

        foreach (var call in calls)
        {
            contents.Add(new FunctionCallContent(call.CallId, call.Name, call.Arguments) { Exception = call.Exception });
        }

        lock (messages)
        {
            messages.Add(new ChatMessage(ChatRole.Assistant, contents));
        }
    }

    /// <summary>Sends the calls' results back, one per call id, in reply order.</summary>
    public static void AddToolResults(List<ChatMessage> messages, FunctionResultContent[] results)
    {
        var message = new ChatMessage(ChatRole.Tool, [.. results]);
        lock (messages)
        {
            messages.Add(message);
        }
    }

    /// <summary>Writes a reply's calls as text, for an error that must hold the reply (<see cref="StepOutputException.RawReply"/>).</summary>
    public static string Describe(List<FunctionCallContent> calls)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var call in calls)
        {
            string arguments;
            try
            {
                arguments = Tools.ToolRound.ParsedArgumentsText(call);
            }
            catch (Exception e) when (e is NotSupportedException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
            {
                arguments = "(unreadable arguments)";
            }

            builder.Append(builder.Length == 0 ? string.Empty : "\n").Append(call.Name).Append(arguments);
        }

        return builder.ToString();
    }

    /// <summary>
    /// Asks again after an invalid reply. The reply as the conversation holds it is cut to its start and end first, so
    /// that a huge invalid reply is neither sent back whole on every retry nor kept whole by the trace.
    /// </summary>
    public static void AddCorrection(List<ChatMessage> messages, string reply, IReadOnlyList<string> errors, Tools.UnionOutput? union = null)
    {
        var correction = new ChatMessage(ChatRole.User, union is null
            ? Correction.Message(errors)
            : $"Your reply answered in text. Answer by calling exactly one of the tools {union.Names}, with your answer as its arguments.");
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
