using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// A fake model for the tool benchmarks: when a request offers tools and the conversation does not end with their
/// results, it calls the first offered tool once with the arguments <c>{"a":2,"b":3}</c>; otherwise it answers. Every
/// reply, its <see cref="FunctionCallContent"/> (parsed once, as a provider's client would parse it) and the completed
/// task that carries it are made once, so a call allocates nothing and the figures weigh AgentSteps, not the fake.
/// </summary>
public sealed class ToolCallingChatClient : IChatClient
{
    public const string AnswerJson = """{"Text":"2 + 3 = 5"}""";
    public const string ArgumentsJson = """{"a":2,"b":3}""";

    private static readonly Task<ChatResponse> s_answer = Task.FromResult(
        new ChatResponse(new ChatMessage(ChatRole.Assistant, AnswerJson)) { FinishReason = ChatFinishReason.Stop, Usage = Usage() });

    private readonly Dictionary<string, Task<ChatResponse>> _calls = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="ToolCallingChatClient"/> class for the named tools.</summary>
    public ToolCallingChatClient(params string[] toolNames)
    {
        foreach (var name in toolNames)
        {
            var call = FunctionCallContent.CreateFromParsedArguments(
                ArgumentsJson, "call_1", name,
                static json => JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions));
            _calls[name] = Task.FromResult(
                new ChatResponse(new ChatMessage(ChatRole.Assistant, [call])) { FinishReason = ChatFinishReason.ToolCalls, Usage = Usage() });
        }
    }

    /// <summary>Gets the call reply made once for a tool, for a direct call of the function with the same arguments.</summary>
    public FunctionCallContent CallOf(string toolName) => (FunctionCallContent)_calls[toolName].Result.Messages[0].Contents[0];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (options?.Tools is { Count: > 0 } tools && LastRole(messages) != ChatRole.Tool)
        {
            return _calls.TryGetValue(tools[0].Name, out var call) ? call : throw new InvalidOperationException($"No call is prepared for the tool '{tools[0].Name}'.");
        }

        return s_answer;
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static ChatRole LastRole(IEnumerable<ChatMessage> messages) => messages switch
    {
        IList<ChatMessage> { Count: > 0 } list => list[^1].Role,
        IReadOnlyList<ChatMessage> { Count: > 0 } list => list[^1].Role,
        _ => messages.Last().Role,
    };

    private static UsageDetails Usage() => new() { InputTokenCount = 100, OutputTokenCount = 20 };
}
