using System.ComponentModel;
using AgentSteps;

using var runtime = new Runtime();                  // a model from OPENAI_API_KEY / OPENAI_BASE_URL
var recipe = Steps.Create<RecipeWorkflow>().CreateRecipe("chicken parmesan");
Console.WriteLine(string.Join(Environment.NewLine, recipe.Instructions));
Console.WriteLine(runtime.FormatTree());            // every step: timing, model, tokens

public record Recipe(string Description, List<string> Ingredients, List<string> Instructions, List<string> Tips);
public record ValidationResult(bool IsValid, string? Reason = null);

public abstract class RecipeWorkflow
{
    [Step(Model = "gpt-4o-mini", Temperature = 0.75)]
    [Description("You are an inventive chef who is here to help a home cook create a recipe based on a query")]
    public abstract Recipe DraftRecipe(string query);

    [Step(Model = "gpt-4o-mini")]
    [Description("You are a chef who is very detailed and great at improving recipes. Return an improved version of the recipe")]
    public abstract Recipe ImproveRecipe(Recipe recipe);

    [Step(Model = "gpt-4o-mini")]
    [Description("Consider if this recipe is valid: would it be easy for a home cook to follow?")]
    public abstract ValidationResult ValidateRecipe(Recipe recipe);

    [Step(MaxLoops = 3)]
    public virtual Recipe CreateRecipe(string query)
    {
        var recipe = ImproveRecipe(DraftRecipe(query));
        return ValidateRecipe(recipe).IsValid ? recipe : CreateRecipe(query);   // loop back, up to MaxLoops
    }
}
