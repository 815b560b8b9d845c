namespace AgentSteps.Tests.Budgets;

/// <summary>Replies for the budget tests: each reports 10 input and 5 output tokens, 15 in all.</summary>
internal static class BudgetTestClient
{
    public static ChatResponse Reply(string text = "ok") =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
        };

    /// <summary>A client with <paramref name="count"/> such replies: more than any test should use.</summary>
    public static ScriptedChatClient WithReplies(int count = 10)
    {
        var client = new ScriptedChatClient();
        for (int i = 0; i < count; i++)
        {
            client.Enqueue(_ => Reply());
        }

        return client;
    }

    /// <summary>Prices that make each reply cost 0.02: 10 × 1,000 / 1M + 5 × 2,000 / 1M.</summary>
    public static ModelPrice Price { get; } = new(InputPerMillion: 1000m, OutputPerMillion: 2000m);
}
