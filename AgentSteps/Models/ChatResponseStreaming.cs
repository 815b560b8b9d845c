using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>Streams a whole response as updates, for the test clients that answer all at once.</summary>
internal static class ChatResponseStreaming
{
    /// <summary>The size of the pieces a reply's text is streamed in, so that a watcher sees it arrive as from a model.</summary>
    public const int PieceLength = 16;

    public static async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(Task<ChatResponse> response, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await response.ConfigureAwait(false)).ToChatResponseUpdates())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (update.Contents is [TextContent { Text.Length: > PieceLength } text])
            {
                for (int start = 0; start < text.Text.Length; start += PieceLength)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return new ChatResponseUpdate(update.Role, text.Text.Substring(start, Math.Min(PieceLength, text.Text.Length - start)))
                    {
                        ResponseId = update.ResponseId,
                        MessageId = update.MessageId,
                        ModelId = update.ModelId,
                        CreatedAt = update.CreatedAt,
                        FinishReason = start + PieceLength >= text.Text.Length ? update.FinishReason : null,
                    };
                }

                continue;
            }

            yield return update;
        }
    }
}
