using AgentSteps.Inspection;
using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// Implements an LLM step: builds the prompt, calls the model, and parses and validates the reply, sending an invalid
/// reply back with its errors up to the step's <see cref="StepAttribute.OutputRetries"/>.
/// </summary>
internal sealed class ModelCallStage : IStepStage
{
    public static readonly ModelCallStage Instance = new();

    public async ValueTask<object?> InvokeAsync(StepInvocation invocation)
    {
        var descriptor = invocation.Descriptor;
        var runtime = invocation.Runtime;
        var step = invocation.Step;
        var (client, model) = runtime.ResolveModel(descriptor);
        step.Model = model;

        var messages = new List<ChatMessage>(4);
        if (descriptor.SystemPrompt is { } systemPrompt)
        {
            messages.Add(new ChatMessage(ChatRole.System, systemPrompt));
        }

        var prompt = descriptor.Prompt!.Render(invocation.Arguments);
        messages.Add(new ChatMessage(ChatRole.User, prompt));
        var cancellationToken = invocation.CancellationToken;
        int maxCalls = descriptor.Attribute.OutputRetries + 1;
        for (int call = 1; ; call++)
        {
            var options = descriptor.ChatOptions!.Clone();
            options.ModelId = model;
            runtime.Log.ModelCall(descriptor, model, call, messages[^1].Text);
            ChatResponse response;
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

            response = ModelResponseGuard.ThrowIfNull(response, descriptor.QualifiedName, model);

            step.ModelCalls = call;
            step.AddUsage(response.Usage);
            var reply = response.Text;
            runtime.Log.ModelReply(descriptor, model, call, reply, response.Usage);

            if (FindRefusal(response) is { } refusal)
            {
                throw new StepRefusedException(descriptor.QualifiedName, refusal);
            }

            if (response.FinishReason == ChatFinishReason.ContentFilter)
            {
                throw new StepRefusedException(descriptor.QualifiedName, "the provider's content filter stopped the reply.");
            }

            if (response.FinishReason == ChatFinishReason.Length)
            {
                throw new StepOutputTruncatedException(descriptor.QualifiedName, reply, options.MaxOutputTokens);
            }

            ReplyGuard.ThrowIfTooLong(descriptor, reply, call);
            if (descriptor.Output!.TryParse(reply, out var result, out var errors))
            {
                return result;
            }

            if (call >= maxCalls)
            {
                throw new StepOutputException(descriptor.QualifiedName, reply, errors, call);
            }

            runtime.Log.Retry(descriptor, call, errors);
            messages.Add(new ChatMessage(ChatRole.Assistant, Correction.Echo(reply)));
            messages.Add(new ChatMessage(ChatRole.User, Correction.Message(errors)));
        }
    }

    private static string? FindRefusal(ChatResponse response)
    {
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is ErrorContent error && string.Equals(error.ErrorCode, "Refusal", StringComparison.OrdinalIgnoreCase))
                {
                    return error.Message;
                }

                if (content.AdditionalProperties?.TryGetValue("Refusal", out var value) == true && value is string { Length: > 0 } text)
                {
                    return text;
                }
            }
        }

        return response.RawRepresentation is OpenAI.Chat.ChatCompletion { Refusal: { Length: > 0 } refusal } ? refusal : null;
    }
}
