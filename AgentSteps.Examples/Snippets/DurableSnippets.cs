using Microsoft.Extensions.AI;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/durable.md, compiled so that it stays true.</summary>
public static class DurableSnippets
{
    public static Recipes.Recipe JournaledRun(IChatClient client, string runId)
    {
        using var journal = new SqliteRunJournal("runs.db");  // one file; the folder must exist
        var options = new RuntimeOptions { ChatClient = client, Journal = journal, RunId = runId };
        using var runtime = new Runtime(options);
        var recipe = Steps.Create<Recipes.RecipeWorkflow>().CreateRecipe("chicken parmesan");
        foreach (var step in runtime.ExecutedSteps)
        {
            Console.WriteLine($"{step.Key}: {(step.Replayed ? "replayed" : "ran")}");
        }

        return recipe;
    }
}
