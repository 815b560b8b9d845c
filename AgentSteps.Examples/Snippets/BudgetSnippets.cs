using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/budgets.md and README's "Budgets" section, compiled so that it stays true.</summary>
public abstract class ResearchWorkflow
{
    [Step(Model = "gpt-4o-mini"), Description("Answer the question in one paragraph.")]
    public abstract Task<string> AnswerAsync(string question);

    [Step(MaxModelCalls = 5, MaxCost = 0.10)]   // for this step and every step it calls, per call of this step
    public virtual async Task<string> ResearchAsync(string topic)
    {
        var facts = await AnswerAsync($"What is known about {topic}?");
        return await AnswerAsync($"Summarize in two sentences: {facts}");
    }
}

/// <summary>Runs <see cref="ResearchWorkflow"/> under a budget.</summary>
public static class BudgetSnippets
{
    public static async Task RunAsync(IChatClient chatClient)
    {
        var options = new RuntimeOptions
        {
            ChatClient = chatClient,
            Budget = new RunBudget { MaxModelCalls = 20, MaxTotalTokens = 50_000, MaxCost = 0.50m },
            Prices = { ["gpt-4o-mini"] = new ModelPrice(InputPerMillion: 0.15m, OutputPerMillion: 0.60m) },
        };
        using var runtime = new Runtime(options);
        try
        {
            await Steps.Create<ResearchWorkflow>().ResearchAsync("leeks");
        }
        catch (BudgetExceededException e)
        {
            Console.WriteLine($"{e.StepName} stopped: {e.Limit} = {e.LimitValue}, used {e.Used}");
        }

        var usage = runtime.Usage;
        Console.WriteLine($"{usage.ModelCalls} calls, {usage.TotalTokens} tokens, cost {usage.Cost}");
        if (!usage.IsCostComplete)
        {
            Console.WriteLine($"The cost leaves out models without a price ({string.Join(", ", usage.ModelsWithoutPrice)}) and {usage.CallsWithoutUsage} replies without usage.");
        }
    }

    public static void CachedPrice(RuntimeOptions options)
    {
        options.Prices["gpt-4o"] = new ModelPrice(InputPerMillion: 2.50m, OutputPerMillion: 10.00m) { CachedInputPerMillion = 1.25m };
    }

    public static void StepCosts(Runtime runtime)
    {
        foreach (var step in runtime.ExecutedSteps)
        {
            Console.WriteLine($"{step.Key}: {step.ModelCalls} calls, {step.Usage?.TotalTokenCount} tokens, cost {(step.Cost is { } cost ? cost : "unknown")}");
        }
    }
}
