using System.ComponentModel;

namespace AgentSteps.Tests.GraphWorkflows;

public abstract class Kitchen
{
    [Step, Description("Searches the recipe book for recipes that match the query.")]
    public virtual Task<List<string>> SearchRecipesAsync(string query) => Task.FromResult(new List<string> { query });

    [Step(RequiresApproval = true), Description("Orders missing ingredients from the grocery service.")]
    public virtual Task<string> OrderIngredientsAsync(List<string> items) => Task.FromResult(ListItems(items));

    [Step]
    public virtual string ListItems(List<string> items) => string.Join(", ", items);

    [Step(Model = "m", Tools = [nameof(SearchRecipesAsync), nameof(OrderIngredientsAsync), "convert_units"], MaxToolCalls = 10)]
    [Description("You plan dinners. Use the tools.")]
    public abstract Task<string> PlanDinnerAsync(string request);

    [Step(Model = "m", Tools = ["convert_units", nameof(SearchRecipesAsync)])]
    [Description("Scale the recipe.")]
    public abstract Task<string> ScaleAsync(string plan);

    [Step(Model = "m")]
    [Description("Chat.")]
    public abstract Task<string> ChatAsync(string text);

    [Step]
    public virtual async Task<string> HostAsync(string request)
    {
        var plan = await PlanDinnerAsync(request);
        return await ScaleAsync(plan);
    }
}

public abstract class Researcher
{
    [Step(Model = "m", MaxLoops = 3, Tools = [nameof(ResearchAsync), nameof(CiteAsync), "web \"search\" <beta>"])]
    [Description("Research the question; split it and research the parts.")]
    public abstract Task<string> ResearchAsync(string question);

    [Step, Description("Cites a source.")]
    public virtual async Task<string> CiteAsync(string source) => await ResearchAsync(source);
}
