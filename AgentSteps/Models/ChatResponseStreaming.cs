using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>Streams a whole response as updates, for the test clients that answer all at once.</summary>
internal static class ChatResponseStreaming
{
    public static async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(Task<ChatResponse> response, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await response.ConfigureAwait(false)).ToChatResponseUpdates())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
        }
    }
}
