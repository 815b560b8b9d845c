using AgentSteps.Inspection;
using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>Stops an LLM step on a reply that no retry would mend: a refusal, the provider's content filter, or a reply cut off at the token limit.</summary>
internal static class ReplyChecks
{
    public static void ThrowIfUnusable(StepDescriptor descriptor, ChatResponse response, string reply)
    {
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
            throw new StepOutputTruncatedException(descriptor.QualifiedName, reply, descriptor.ChatOptions!.MaxOutputTokens);
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
