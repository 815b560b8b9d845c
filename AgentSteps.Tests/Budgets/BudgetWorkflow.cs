namespace AgentSteps.Tests.Budgets;

public record Verdict(string Answer);

/// <summary>The workflow the budget tests run: one LLM step called from code steps with and without budgets of their own.</summary>
public abstract class BudgetWorkflow
{
    [Step(Model = "gpt-4o-mini"), Description("Answer the question.")]
    public abstract string Ask(string question);

    [Step(Model = "gpt-4o-mini"), Description("Answer the question.")]
    public abstract Task<string> AskAsync(string question);

    [Step(Model = "gpt-4o"), Description("Answer the question carefully.")]
    public abstract string AskLarge(string question);

    [Step(Model = "gpt-4o-mini"), Description("Judge the answer.")]
    public abstract Verdict Judge(string answer);

    [Step, Description("Looks up a fact.")]
    public virtual string LookUp(string topic) => "fact about " + topic;

    [Step(Model = "gpt-4o-mini", Tools = [nameof(LookUp)]), Description("Answer the question; look facts up.")]
    public abstract string Research(string question);

    [Step]
    public virtual int AskEach(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Ask("question " + i);
        }

        return count;
    }

    [Step(MaxModelCalls = 2)]
    public virtual int CallsCapped(int count) => Inner(count);

    [Step(MaxInputTokens = 20)]
    public virtual int InputCapped(int count) => Inner(count);

    [Step(MaxSubtreeOutputTokens = 10)]
    public virtual int OutputCapped(int count) => Inner(count);

    [Step(MaxTotalTokens = 30)]
    public virtual int TotalCapped(int count) => Inner(count);

    [Step(MaxCost = 0.04)]
    public virtual int CostCapped(int count) => Inner(count);

    /// <summary>A step between the budgeted step and the LLM step, so that the budget covers grandchildren.</summary>
    [Step]
    public virtual int Inner(int count) => AskEach(count);
}
