using System.ClientModel;
using System.Collections.Concurrent;
using AgentSteps.Internal;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AgentSteps;

/// <summary>
/// An OpenAI-compatible <see cref="IChatClient"/> that serves every model by name: the OpenAI chat client is bound to
/// one model, so this keeps one per model and routes each request by <see cref="ChatOptions.ModelId"/>.
/// </summary>
internal sealed class OpenAIModelRouter(OpenAIClient client) : IChatClient
{
    private const string FallbackModel = "gpt-4o-mini";

    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await For(options).GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (ClientResultException e) when (Redaction.HasSecrets(e.Message))
        {
            // Redacted here, below the OpenTelemetry client that CreateOpenAIClient adds, whose span takes the message as its
            // status: a provider error that echoes the key must not reach a span. The type and status are kept for callers.
            throw new ClientResultException(Redaction.Redact(e.Message), e.GetRawResponse(), e.InnerException is null ? null : Redaction.Sanitize(e.InnerException));
        }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The same redaction as a whole response's, for errors raised while the request is sent or the stream is read.
        await using var updates = For(options).GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await updates.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (ClientResultException e) when (Redaction.HasSecrets(e.Message))
            {
                throw new ClientResultException(Redaction.Redact(e.Message), e.GetRawResponse(), e.InnerException is null ? null : Redaction.Sanitize(e.InnerException));
            }

            yield return updates.Current;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(OpenAIClient) ? client : For(null).GetService(serviceType, serviceKey);

    public void Dispose()
    {
        foreach (var inner in _clients.Values)
        {
            inner.Dispose();
        }
    }

    private IChatClient For(ChatOptions? options) =>
        _clients.GetOrAdd(options?.ModelId ?? FallbackModel, model => client.GetChatClient(model).AsIChatClient());
}
