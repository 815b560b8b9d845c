using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/pipeline.md, compiled so that it stays true.</summary>
public static class PipelineSnippets
{
    public static RuntimeOptions CacheAndTiming(IChatClient client, ConcurrentDictionary<string, object?> cache)
    {
        var options = new RuntimeOptions { ChatClient = client };
        options.Use(async (context, next) =>
        {
            var key = context.Info.QualifiedName + "|" + string.Join("|", context.Arguments);   // the step and its inputs
            if (context.Info.Kind == StepKind.Llm && cache.TryGetValue(key, out var hit))
            {
                return hit;                                    // short-circuit: no model call, the step is still recorded
            }

            var result = await next(context);                  // the rest of the pipeline: the body or the model call
            cache[key] = result;
            return result;
        });
        options.Use(new RetryMiddleware(attempts: 3));         // a class, for middleware with settings or state
        options.Observers.Add(new ConsoleObserver());
        return options;
    }

    public static async Task<Recipes.Recipe> OneRunPerRequestAsync(RuntimeOptions options, string query)
    {
        using var runtime = new Runtime(options);              // cheap: the options were compiled once, on first use
        var recipe = Steps.Create<Recipes.RecipeWorkflow>().CreateRecipe(query);
        foreach (var step in runtime.ExecutedSteps)
        {
            Console.WriteLine($"{step.Key}: {step.ModelCalls} model calls, {step.Messages.Count} messages");
        }

        await Task.CompletedTask;
        return recipe;
    }
}

/// <summary>Retries a step that throws a transient error, by calling the rest of the pipeline again.</summary>
public sealed class RetryMiddleware(int attempts) : IStepMiddleware
{
    public async ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await next(context);
            }
            catch (HttpRequestException) when (attempt < attempts)
            {
                context.Items["retries"] = attempt;            // per-call state lives in the context
            }
        }
    }
}

/// <summary>Prints every step as it starts and ends.</summary>
public sealed class ConsoleObserver : IRunObserver
{
    public void OnStepStarted(ExecutedStep step) => Console.WriteLine($"→ {step.Key}");

    public void OnStepCompleted(ExecutedStep step) =>
        Console.WriteLine(step.Succeeded ? $"✓ {step.Key} in {step.Duration.TotalMilliseconds:0} ms" : $"✗ {step.Key}: {step.Exception!.Message}");

    public void OnRunCompleted(Runtime run) => Console.WriteLine($"run {run.RunId}: {run.ExecutedSteps.Count} steps");
}
