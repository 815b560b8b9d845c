using System.ComponentModel;
using AgentSteps.Examples.Recipes;

namespace AgentSteps.Examples.Web;

/// <summary>
/// The recipe workflow with async steps, for the web app: while the model answers, a request holds no thread, so a
/// hundred concurrent requests against a slow model wait for the model, not for the thread pool.
/// </summary>
public abstract class AsyncRecipeWorkflow
{
    [Step(Model = "gpt-4o-mini", Temperature = 0.75)]
    [Description("You are an inventive chef who is here to help a home cook create a recipe based on a query")]
    public abstract Task<Recipe> DraftRecipeAsync(string query, CancellationToken cancellationToken = default);

    [Step(Model = "gpt-4o-mini")]
    [Description("You are a chef who is very detailed and great at improving recipes. Return an improved version of the recipe")]
    public abstract Task<Recipe> ImproveRecipeAsync(Recipe recipe, CancellationToken cancellationToken = default);

    [Step(Model = "gpt-4o-mini")]
    [Description("Consider if this recipe is valid: would it be easy for a home cook to follow?")]
    public abstract Task<ValidationResult> ValidateRecipeAsync(Recipe recipe, CancellationToken cancellationToken = default);

    [Step(MaxLoops = 3)]
    public virtual async Task<Recipe> CreateRecipeAsync(string query, CancellationToken cancellationToken = default)
    {
        var recipe = await ImproveRecipeAsync(await DraftRecipeAsync(query, cancellationToken), cancellationToken);
        var validation = await ValidateRecipeAsync(recipe, cancellationToken);
        return validation.IsValid ? recipe : await CreateRecipeAsync(query, cancellationToken);   // loop back, up to MaxLoops
    }
}
