using AgentSteps.StructuredOutput;
using AgentSteps.Tools;
using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// The end of an LLM step's pipeline: holds the conversation with the model. It resolves the model and the step's tools,
/// opens the conversation with the prompt, runs the tool calls the model asks for (<see cref="ToolRound"/>), and asks
/// until an answer parses and validates, sending an invalid one back with its errors up to the step's
/// <see cref="StepAttribute.OutputRetries"/>. The bookkeeping of each call, the checks on a reply and the conversation
/// are collaborators: <see cref="ModelInvoker"/>, <see cref="ReplyChecks"/> and <see cref="Conversation"/>; parsing is
/// the step's output contract.
/// </summary>
internal static class ModelStepHandler
{
    public static readonly StepHandler Instance = static context =>
        context.Sink is null ? RunAsync(context) : ((IStreamShape)context.Descriptor.Shape).RunModelAsync(context);

    private static async ValueTask<object?> RunAsync(StepContext context)
    {
        var descriptor = context.Descriptor;
        var step = context.Step;
        var cancellationToken = context.CancellationToken;
        var configuration = step.Owner.Configuration;
        var (client, model) = configuration.ResolveModel(descriptor, step.Owner.ModelLookup);
        if (descriptor.SystemPrompt is null && step.Owner.Log.IsEnabled && configuration.FirstReportOfNoSystemPrompt(descriptor))
        {
            step.Owner.Log.NoSystemPrompt(descriptor);
        }

        var tools = descriptor.HasTools ? configuration.ToolsFor(descriptor) : null;
        var record = step.ModelRecord;
        record.Model = model;

        var messages = Conversation.Start(descriptor, context.ArgumentArray);
        record.StartConversation(messages);
        int corrections = 0, toolCalls = 0;
        for (int call = 1; ; call++)
        {
            var answer = await CallAsync(context, client, model, tools?.OptionsFor(model) ?? descriptor.OptionsFor(model), messages, call, cancellationToken).ConfigureAwait(false);
            var (response, reply) = ModelInvoker.Finish(context, model, answer, call);
            IReadOnlyList<string> errors;
            if (tools is not null && Conversation.ToolCalls(response) is { } calls)
            {
                ReplyChecks.ThrowIfUnusable(descriptor, response, reply);
                Conversation.AddToolCalls(messages, reply, calls);
                var outcome = await ToolRound.RunAsync(context, tools, calls, toolCalls).ConfigureAwait(false);
                if (outcome.Answered)
                {
                    Conversation.AddToolResults(messages, outcome.Results);
                    record.Parsed(outcome.OutputJson!, outcome.Output, outcome.OutputContract);
                    return outcome.Output;
                }

                toolCalls += outcome.ToolCalls;
                Conversation.AddToolResults(messages, outcome.Results);
                if (outcome.Errors.Count == 0)
                {
                    continue; // the model goes on with the results; only answers count against OutputRetries
                }

                errors = outcome.Errors;
                reply = Conversation.Describe(calls);
            }
            else
            {
                // A reply over the step's MaxReplyLength fails below; the conversation keeps only its start and end.
                Conversation.AddReply(messages, response, reply.Length > descriptor.Attribute.MaxReplyLength ? Correction.Echo(reply) : reply);
                ReplyChecks.ThrowIfUnusable(descriptor, response, reply);
                ReplyGuard.ThrowIfTooLong(descriptor, reply, call);
                if (tools?.Union is { } union)
                {
                    errors = [$"$: the reply answered in text; answer by calling exactly one of the tools {union.Names}, with the answer as its arguments"];
                }
                else if (descriptor.Output!.TryParse(reply, out var result, out errors))
                {
                    record.Parsed(reply, result, descriptor.Output);
                    return result;
                }

                if (corrections < descriptor.Attribute.OutputRetries)
                {
                    Conversation.AddCorrection(messages, reply, errors, tools?.Union);
                }
            }

            if (++corrections > descriptor.Attribute.OutputRetries)
            {
                throw new StepOutputException(descriptor.QualifiedName, reply, errors, corrections);
            }

            step.Owner.Log.Retry(descriptor, call, errors);
        }
    }

    /// <summary>
    /// Makes one model call: a slot first (<see cref="ModelCallLimiter"/>), then the call counts (budgets, ModelCalls), so a
    /// call cancelled while it waits was never made; the slot is freed as soon as the reply is in, before any tool runs.
    /// </summary>
    private static async Task<ChatResponse?> CallAsync(
        StepContext context, IChatClient client, string model, ChatOptions stepOptions, List<ChatMessage> messages, int call, CancellationToken cancellationToken)
    {
        using var lease = await ModelCallLimiter.EnterAsync(context, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested(); // a call cancelled by now is not made, nor counted
        var options = ModelInvoker.Start(context, stepOptions, messages, call);
        try
        {
            // While someone watches the run, the reply streams, so they see the text as it is written.
            return ModelStream.IsWatched(context.Step.Owner)
                ? await ModelStream.GetResponseAsync(context, client, messages, options, call, cancellationToken).ConfigureAwait(false)
                : await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not AgentStepsException)
        {
            throw new StepModelException(context.Descriptor.QualifiedName, model, e);
        }
    }
}
