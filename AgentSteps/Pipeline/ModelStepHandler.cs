using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// The end of an LLM step's pipeline: holds the conversation with the model. It resolves the model, opens the
/// conversation with the prompt, and asks until a reply parses and validates, sending an invalid reply back with its
/// errors up to the step's <see cref="StepAttribute.OutputRetries"/>. The call itself, the checks on a reply and the
/// parsing are collaborators: <see cref="ModelInvoker"/>, <see cref="ReplyChecks"/> and the step's output contract.
/// </summary>
internal static class ModelStepHandler
{
    public static readonly StepHandler Instance = static context => RunAsync(context);

    private static async ValueTask<object?> RunAsync(StepContext context)
    {
        var descriptor = context.Descriptor;
        var runtime = context.Runtime;
        var step = context.Step;
        var (client, model) = runtime.Configuration.ResolveModel(descriptor);
        step.Model = model;

        var messages = Conversation.Start(descriptor, context.ArgumentArray);
        step.Conversation = messages;
        int maxCalls = descriptor.Attribute.OutputRetries + 1;
        for (int call = 1; ; call++)
        {
            var response = await ModelInvoker.GetResponseAsync(context, client, model, messages, call).ConfigureAwait(false);
            var reply = response.Text;
            Conversation.AddReply(messages, response);
            ReplyChecks.ThrowIfUnusable(descriptor, response, reply);

            if (descriptor.Output!.TryParse(reply, out var result, out var errors))
            {
                return result;
            }

            if (call >= maxCalls)
            {
                throw new StepOutputException(descriptor.QualifiedName, reply, errors, call);
            }

            runtime.Log.Retry(descriptor, call, errors);
            Conversation.AddCorrection(messages, errors);
        }
    }
}
