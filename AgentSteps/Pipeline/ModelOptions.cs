using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>The chat options of a call to one model, made once per model from a step's template and shared by its calls.</summary>
internal static class ModelOptions
{
    /// <summary>
    /// Gets <paramref name="template"/> with the model set, from <paramref name="cache"/> while it holds that model, else
    /// made and kept there. Microsoft.Extensions.AI's clients and middleware clone options before changing them, so calls
    /// may share one instance; a race makes an extra copy, never a wrong one.
    /// </summary>
    public static ChatOptions For(ref ChatOptions? cache, ChatOptions template, string model)
    {
        var options = cache;
        if (options is null || !string.Equals(options.ModelId, model, StringComparison.Ordinal))
        {
            options = template.Clone();
            options.ModelId = model;
            cache = options;
        }

        return options;
    }
}
