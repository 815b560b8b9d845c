using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// The end of an LLM step's pipeline: holds the conversation with the model. It resolves the model, opens the
/// conversation with the prompt, and asks until a reply parses and validates, sending an invalid reply back with its
/// errors up to the step's <see cref="StepAttribute.OutputRetries"/>. The bookkeeping of each call, the checks on a
/// reply and the conversation are collaborators: <see cref="ModelInvoker"/>, <see cref="ReplyChecks"/> and
/// <see cref="Conversation"/>; parsing is the step's output contract.
/// </summary>
internal static class ModelStepHandler
{
    public static readonly StepHandler Instance = static context => RunAsync(context);

    private static async ValueTask<object?> RunAsync(StepContext context)
    {
        var descriptor = context.Descriptor;
        var step = context.Step;
        var cancellationToken = context.CancellationToken;
        var (client, model) = step.Owner.Configuration.ResolveModel(descriptor, step.Owner.ModelLookup);
        if (descriptor.SystemPrompt is null && step.Owner.Log.IsEnabled && step.Owner.Configuration.FirstReportOfNoSystemPrompt(descriptor))
        {
            step.Owner.Log.NoSystemPrompt(descriptor);
        }

        var record = step.ModelRecord;
        record.Model = model;

        var messages = Conversation.Start(descriptor, context.ArgumentArray);
        record.StartConversation(messages);
        int maxCalls = descriptor.Attribute.OutputRetries + 1;
        for (int call = 1; ; call++)
        {
            var options = ModelInvoker.Start(context, model, messages, call);
            ChatResponse? response;
            try
            {
                response = await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is not AgentStepsException)
            {
                throw new StepModelException(descriptor.QualifiedName, model, e);
            }

            (response, var reply) = ModelInvoker.Finish(context, model, response, call);

            // A reply over the step's MaxReplyLength fails below; the conversation keeps only its start and end.
            Conversation.AddReply(messages, response, reply.Length > descriptor.Attribute.MaxReplyLength ? Correction.Echo(reply) : reply);
            ReplyChecks.ThrowIfUnusable(descriptor, response, reply);
            ReplyGuard.ThrowIfTooLong(descriptor, reply, call);
            if (descriptor.Output!.TryParse(reply, out var result, out var errors))
            {
                record.Parsed(reply, result);
                return result;
            }

            if (call >= maxCalls)
            {
                throw new StepOutputException(descriptor.QualifiedName, reply, errors, call);
            }

            step.Owner.Log.Retry(descriptor, call, errors);
            Conversation.AddCorrection(messages, reply, errors);
        }
    }
}
