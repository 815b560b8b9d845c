using System.Text;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// A fake model for the streaming benchmarks: one structured reply (a <see cref="Recipe"/> of about 5 KB of JSON),
/// streamed as <see cref="Chunks"/> updates of about 5 characters each (one text piece each, like a provider's tokens),
/// then one update with the usage and no text, as OpenAI sends it. <see cref="GetResponseAsync"/> returns the same reply
/// whole. The updates, the whole reply, its task and the stream object are made once: a call allocates nothing (the
/// stream is reused when the previous call's enumeration has been disposed, which the benchmarks always do), so the
/// figures weigh AgentSteps, not the fake. The stream completes every step synchronously, so nothing waits on I/O.
/// </summary>
public sealed class StreamingChatClient : IChatClient
{
    public const int Chunks = 1_000;

    /// <summary>Gets the reply: a valid <see cref="Recipe"/>, about 5 KB of JSON.</summary>
    public static readonly string Json = BuildJson();

    private readonly ChatResponseUpdate[] _updates;
    private readonly Task<ChatResponse> _whole;
    private Stream? _free;

    public StreamingChatClient()
    {
        var usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = Chunks };
        _whole = Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Json)) { FinishReason = ChatFinishReason.Stop, Usage = usage });
        _updates = new ChatResponseUpdate[Chunks + 1];
        for (int i = 0; i < Chunks; i++)
        {
            int start = (int)((long)Json.Length * i / Chunks), end = (int)((long)Json.Length * (i + 1) / Chunks);
            _updates[i] = new ChatResponseUpdate(ChatRole.Assistant, Json[start..end])
            {
                FinishReason = i == Chunks - 1 ? ChatFinishReason.Stop : null,
            };
        }

        _updates[Chunks] = new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)]);
        _free = new Stream(this);
    }

    /// <summary>Gets the updates the stream yields, made once.</summary>
    public IReadOnlyList<ChatResponseUpdate> Updates => _updates;

    /// <summary>Gets the number of streaming calls so far, for the benchmarks' checks.</summary>
    public int StreamingCalls { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _whole;

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        StreamingCalls++;
        return Interlocked.Exchange(ref _free, null) ?? new Stream(this);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static string BuildJson()
    {
        static string List(string name, string item, int count)
        {
            var builder = new StringBuilder().Append('"').Append(name).Append("\":[");
            for (int i = 1; i <= count; i++)
            {
                builder.Append(i > 1 ? "," : string.Empty).Append('"').Append(item).Append(' ').Append(i).Append('"');
            }

            return builder.Append(']').ToString();
        }

        return "{\"Description\":\"Chicken parmesan with a crisp crust and a bright tomato sauce, baked until bubbling.\"," +
               List("Ingredients", "one measured ingredient, weighed and set out", 40) + "," +
               List("Instructions", "a step of the method, said plainly so a cook can follow it", 40) + "," +
               List("Tips", "a tip for a better result, from long practice", 20) + "}";
    }

    /// <summary>The stream and its enumerator in one object, reused from call to call.</summary>
    private sealed class Stream(StreamingChatClient owner) : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        private int _next;
        private CancellationToken _cancellationToken;

        public ChatResponseUpdate Current { get; private set; } = null!;

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            _next = 0;
            _cancellationToken = cancellationToken;
            return this;
        }

        public ValueTask<bool> MoveNextAsync()
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var updates = owner._updates;
            if (_next >= updates.Length)
            {
                return new ValueTask<bool>(false);
            }

            Current = updates[_next++];
            return new ValueTask<bool>(true);
        }

        public ValueTask DisposeAsync()
        {
            Current = null!;
            Volatile.Write(ref owner._free, this);
            return default;
        }
    }
}
