using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// The bookkeeping around one model call of an LLM step: the chat options for the call, the count of calls on the step
/// (a call that throws counts too), the log lines and the usage before and after it, and a typed failure for a client
/// that returns no response. The caller awaits the client between <see cref="Start"/> and
/// <see cref="Finish"/>, so that a call costs no state machine of its own.
/// </summary>
internal static class ModelInvoker
{
    public static ChatOptions Start(StepContext context, ChatOptions options, List<ChatMessage> messages, int call)
    {
        var descriptor = context.Descriptor;
        BudgetGuard.BeforeModelCall(context, options.ModelId!);
        var last = messages[^1];
        context.Step.Owner.Log.ModelCall(descriptor, options.ModelId!, call, last.Role == ChatRole.Tool ? ToolResults(last) : last.Text);
        context.Step.ModelRecord.CountCall();
        return options;
    }

    public static (ChatResponse Response, string Reply) Finish(StepContext context, string model, ChatResponse? response, int call)
    {
        var descriptor = context.Descriptor;
        response = ModelResponseGuard.ThrowIfNull(response, descriptor.QualifiedName, model);

        var record = context.Step.ModelRecord;
        if (response.Usage is { } usage)
        {
            record.AddUsage(usage);
        }

        BudgetGuard.AfterModelCall(context, model, response.Usage);

        record.ResponseModel = response.ModelId;
        var reply = response.Text;
        var calls = reply.Length == 0 ? Conversation.ToolCalls(response) : null;
        context.Step.Owner.Log.ModelReply(descriptor, model, call, calls is null ? reply : "[tool calls] " + Conversation.Describe(calls), response.Usage);
        return (response, reply);
    }

    /// <summary>Writes the results sent back after a reply's tool calls, for the log line of the call that sends them.</summary>
    private static string ToolResults(ChatMessage message)
    {
        var builder = new System.Text.StringBuilder("[tool results]");
        foreach (var content in message.Contents)
        {
            if (content is FunctionResultContent result)
            {
                builder.Append(' ').Append(result.CallId).Append(": ").Append(result.Result);
            }
        }

        return builder.ToString();
    }
}
