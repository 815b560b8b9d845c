using AgentSteps.Examples.Recipes;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/progress.md, compiled so that it stays true.</summary>
public static class ProgressSnippets
{
    public static async Task WatchAsync(RuntimeOptions options)
    {
        using var runtime = new Runtime(options);
        var events = runtime.WatchAsync();             // registers the watcher now: call it before the work starts
        var watching = Task.Run(async () =>
        {
            await foreach (var e in events)
            {
                switch (e)
                {
                    case StepStartedEvent { Step: { } step }:
                        Console.WriteLine($"→ {step.Name} started");
                        break;
                    case StepCompletedEvent { Step: { } step }:
                        Console.WriteLine($"✓ {step.Name} {step.Duration.TotalSeconds:0.0} s, {step.Usage?.TotalTokenCount ?? 0} tokens");
                        break;
                    case ModelTextEvent text:
                        Show(text.PartialJson ?? text.Text);   // the whole answer so far, partial JSON closed so that it parses
                        break;
                }
            }
        });

        var recipe = Steps.Create<RecipeWorkflow>().CreateRecipe("chicken parmesan");
        runtime.Dispose();                              // ends the run: the watcher gets RunCompletedEvent, its last
        await watching;
        Console.WriteLine(recipe.Description);
    }

    private static void Show(string textSoFar) => Console.Write($"\r{textSoFar[^Math.Min(60, textSoFar.Length)..]}");
}
