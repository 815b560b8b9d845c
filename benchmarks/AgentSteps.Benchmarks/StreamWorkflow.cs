using System.ComponentModel;

namespace AgentSteps.Benchmarks;

/// <summary>The streaming benchmarks' steps: an ordinary structured LLM step, and an LLM step that streams its text.</summary>
public abstract class StreamWorkflow
{
    [Step(Model = "fake")]
    [Description("Draft a recipe.")]
    public abstract Task<Recipe> DraftAsync(string query);

    [Step(Model = "fake")]
    [Description("Write a recipe.")]
    public abstract IAsyncEnumerable<string> WriteAsync(string query);
}
