using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;

namespace AgentSteps;

/// <summary>
/// Some OpenAI-compatible servers answer HTTP 200 with an error body (<c>{"error":{"message":...}}</c>) instead of a
/// completion; the OpenAI client would then fail on the missing choices (ArgumentOutOfRangeException) and lose the
/// provider's message. This turns such a body into a <see cref="ClientResultException"/> carrying that message.
/// </summary>
internal sealed class ProviderErrorPolicy : PipelinePolicy
{
    public static readonly ProviderErrorPolicy Instance = new();

    // A completion is never read whole here; only a body this small is checked for an error.
    private const int MaxCheckedLength = 64 * 1024;

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ProcessNext(message, pipeline, currentIndex);
        ThrowIfErrorBody(message);
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        ThrowIfErrorBody(message);
    }

    private static void ThrowIfErrorBody(PipelineMessage message)
    {
        if (message.Response is not { IsError: false } response || !message.BufferResponse)
        {
            return;
        }

        var body = response.Content.ToMemory();
        if (body.Length > MaxCheckedLength || body.Span.IndexOf("\"error\""u8) < 0)
        {
            return;
        }

        string? text;
        string? type;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.TryGetProperty("choices", out _) || !root.TryGetProperty("error", out var error))
            {
                return;
            }

            text = error.ValueKind switch
            {
                JsonValueKind.Object when error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString(),
                JsonValueKind.String => error.GetString(),
                _ => error.GetRawText(),
            };
            type = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        }
        catch (JsonException)
        {
            return;
        }

        throw new ClientResultException(
            $"The provider answered HTTP {response.Status} with an error instead of a completion: {text}" + (type is null ? string.Empty : $" (type '{type}')"),
            response);
    }
}
