using AgentSteps.Examples.Progress;

namespace AgentSteps.Examples.Recipes;

/// <summary>The main job: creates a recipe, showing its progress while it runs, and prints it with the step tree.</summary>
public static class RecipeCommand
{
    public static int Run(string query, TextWriter output)
    {
        var options = RuntimeOptions.FromEnvironment();
        if (options.ChatClient is null)
        {
            options.ChatClient = new SampleChatClient();
            output.WriteLine(
                "No model configured: using the offline sample model, whose answers are placeholders; its first validation says the recipe is invalid, " +
                "so the workflow loops back once.");
            output.WriteLine(
                $"Set {RuntimeOptions.ApiKeyVariable} (or {RuntimeOptions.BaseUrlVariable} for a local server such as Ollama) to use a real model.");
        }

        var progress = new ConsoleProgress(output);
        using var runtime = new Runtime(options);
        var workflow = Steps.Create<RecipeWorkflow>();
        progress.Start(runtime); // watching before the first step starts
        Recipe? recipe = null;
        string? failure = null;
        int exitCode = 0;
        try
        {
            recipe = workflow.CreateRecipe(query);
        }
        catch (MaxLoopsExceededException e)
        {
            failure = $"No recipe passed validation: {e.StepName} tried {e.MaxLoops} times.";
            exitCode = 2;
        }
        catch (AgentStepsException e)
        {
            failure = $"The workflow failed: {e.Message}";
            exitCode = 1;
        }
        finally
        {
            // Ending the run sends the watcher its last event; the progress is then off the screen before the result is printed.
            runtime.Dispose();
            progress.CompleteAsync().GetAwaiter().GetResult();
        }

        if (recipe is not null)
        {
            Print(recipe, output);
        }
        else
        {
            output.WriteLine(failure);
        }

        output.WriteLine();
        output.WriteLine("Steps:");
        output.Write(runtime.FormatTree());
        return exitCode;
    }

    private static void Print(Recipe recipe, TextWriter output)
    {
        output.WriteLine(recipe.Description);
        output.WriteLine();
        output.WriteLine("Ingredients:");
        foreach (var ingredient in recipe.Ingredients)
        {
            output.WriteLine($"  - {ingredient}");
        }

        output.WriteLine("Instructions:");
        for (int i = 0; i < recipe.Instructions.Count; i++)
        {
            output.WriteLine($"  {i + 1}. {recipe.Instructions[i]}");
        }

        output.WriteLine("Tips:");
        foreach (var tip in recipe.Tips)
        {
            output.WriteLine($"  - {tip}");
        }
    }
}
