using Microsoft.Extensions.AI;

namespace AgentSteps.Benchmarks;

/// <summary>
/// A fake model that answers at once (or after a fixed latency) with a Recipe-sized reply, or a verdict when the schema
/// asks for one. Replies are built once, so the client itself costs next to nothing.
/// </summary>
public sealed class FakeChatClient(TimeSpan latency = default, bool yields = false) : IChatClient
{
    public const string RecipeJson = """
        {"Description":"Chicken parmesan with a crisp crust and a bright tomato sauce, baked until bubbling.",
         "Ingredients":["2 chicken breasts","1 cup breadcrumbs","1/2 cup grated parmesan","2 eggs","1 cup marinara sauce","1 cup mozzarella","2 tbsp olive oil","salt","pepper","fresh basil"],
         "Instructions":["Heat the oven to 220C.","Halve and pound the chicken to an even thickness.","Season with salt and pepper.","Dip in beaten egg, then in breadcrumbs mixed with parmesan.","Brown in olive oil, 3 minutes a side.","Top with sauce and mozzarella.","Bake 15 minutes until bubbling.","Rest 5 minutes and add basil."],
         "Tips":["Pound the chicken evenly so it cooks through.","Use panko for more crunch.","Warm the sauce first."]}
        """;

    public const string VerdictJson = """{"IsValid":true,"Reason":null}""";

    private static readonly ChatResponse s_recipe = Reply(RecipeJson);
    private static readonly ChatResponse s_verdict = Reply(VerdictJson);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var reply = options?.ResponseFormat is ChatResponseFormatJson { SchemaName: "Verdict" } ? s_verdict : s_recipe;
        return yields ? YieldingAsync(reply) : latency == default ? Task.FromResult(reply) : DelayedAsync(reply, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static ChatResponse Reply(string json) =>
        new(new ChatMessage(ChatRole.Assistant, json)) { FinishReason = ChatFinishReason.Stop, Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 200 } };

    private static async Task<ChatResponse> YieldingAsync(ChatResponse reply)
    {
        // Completes asynchronously at once: every await above it really suspends and resumes.
        await Task.Yield();
        return reply;
    }

    private async Task<ChatResponse> DelayedAsync(ChatResponse reply, CancellationToken cancellationToken)
    {
        await Task.Delay(latency, cancellationToken).ConfigureAwait(false);
        return reply;
    }
}
