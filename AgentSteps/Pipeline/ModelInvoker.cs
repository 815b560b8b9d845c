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
        context.Step.Owner.Log.ModelCall(descriptor, options.ModelId!, call, messages[^1].Text);
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

        record.ResponseModel = response.ModelId;
        var reply = response.Text;
        context.Step.Owner.Log.ModelReply(descriptor, model, call, reply, response.Usage);
        return (response, reply);
    }
}
