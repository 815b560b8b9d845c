using System.ComponentModel;
using System.Runtime.CompilerServices;
using AgentSteps.Examples.Recipes;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/streaming.md and README's "Streaming" section, compiled so that it stays true.</summary>
public record DinnerIdea(string Dish, int Minutes);

public abstract class RecipeWriter
{
    [Step(Model = "gpt-4o-mini"), Description("Write the recipe as prose.")]
    public abstract IAsyncEnumerable<string> WriteRecipeAsync(Recipe recipe, CancellationToken cancellationToken = default);

    [Step(Model = "gpt-4o-mini"), Description("Suggest dinner ideas for the request.")]
    public abstract IAsyncEnumerable<DinnerIdea> SuggestIdeasAsync(string request);

    [Step]
    public virtual async IAsyncEnumerable<string> ShoppingListAsync(Recipe recipe, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var ingredient in recipe.Ingredients)
        {
            await Task.Yield();
            yield return ingredient;
        }
    }
}

public static class StreamingSnippets
{
    public static async Task WriteAsync(Recipe recipe, CancellationToken cancellationToken)
    {
        using var runtime = new Runtime(new SampleChatClient());
        await foreach (var piece in Steps.Create<RecipeWriter>().WriteRecipeAsync(recipe, cancellationToken))
        {
            Console.Write(piece);                 // the text as the model writes it
        }
    }

    public static async Task<List<DinnerIdea>> FirstIdeasAsync()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var ideas = new List<DinnerIdea>();
        await foreach (var idea in Steps.Create<RecipeWriter>().SuggestIdeasAsync("dinner for two"))
        {
            ideas.Add(idea);                      // each idea as soon as it is complete and valid
            if (ideas.Count == 3)
            {
                break;                            // stops the model call; the step is recorded with 3 ideas
            }
        }

        return ideas;
    }

    public static async Task<Recipe> WatchAsync(string query, CancellationToken cancellationToken)
    {
        using var runtime = new Runtime(new SampleChatClient());
        var events = runtime.WatchAsync(cancellationToken);  // register before the work starts
        var watching = Task.Run(async () =>
        {
            await foreach (var e in events)
            {
                switch (e)
                {
                    case StepStartedEvent started:
                        Console.WriteLine($"-> {started.Step!.Key}");
                        break;
                    case ModelTextEvent text when text.PartialJson is { } json:
                        Console.WriteLine($"   {json}");  // parses at every event: a UI can bind it
                        break;
                    case StepCompletedEvent completed:
                        Console.WriteLine($"<- {completed.Step!.Key}{(completed.Failed ? " failed" : string.Empty)}");
                        break;
                }
            }
        }, cancellationToken);

        var recipe = await Task.Run(() => Steps.Create<RecipeWorkflow>().CreateRecipe(query), cancellationToken);
        runtime.Dispose();                        // ends the run: the watcher gets RunCompletedEvent and stops
        await watching;
        return recipe;
    }
}

/// <summary>An observer that prints the model's text as it streams (implementing OnModelText makes LLM steps stream).</summary>
public sealed class ConsoleTextObserver : IRunObserver
{
    public void OnModelText(ModelTextEvent modelText) => Console.Write(modelText.Delta);
}
