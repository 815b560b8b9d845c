using System.ComponentModel;

namespace AgentSteps.Examples.Kitchen;

/// <summary>
/// The kitchen workflow: a union step decides what to do about a dinner request, and when the answer is to cook, an LLM
/// step plans the dinner with tools: a recipe search and a grocery order (code steps; the order needs approval), a
/// sommelier (an LLM step as a sub-agent) and <c>convert_units</c>, a function from <see cref="RuntimeOptions.Tools"/>.
/// </summary>
public abstract class KitchenAgent
{
    private static readonly RecipeSummary[] s_recipeBook =
    [
        new("Leek and potato soup", 40, ["2 leeks", "3 potatoes", "1 l stock", "butter"]),
        new("Mushroom risotto", 35, ["300 g arborio rice", "250 g mushrooms", "1 onion", "parmesan", "1 l stock"]),
        new("Roast chicken with lemon", 90, ["1 chicken", "2 lemons", "garlic", "thyme"]),
        new("Salmon with green beans", 25, ["2 salmon fillets", "200 g green beans", "1 lemon", "butter"]),
    ];

    private int _orders;

    [Step, Description("Searches the recipe book for recipes that match the query; with no match, returns the book's favourites.")]
    public virtual Task<IReadOnlyList<RecipeSummary>> SearchRecipesAsync(
        [Description("Words to look for, such as 'soup' or 'chicken'.")] string query,
        CancellationToken cancellationToken = default)
    {
        var words = query.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var found = s_recipeBook
            .Where(r => words.Any(w => r.Title.Contains(w, StringComparison.OrdinalIgnoreCase) || r.Ingredients.Any(i => i.Contains(w, StringComparison.OrdinalIgnoreCase))))
            .ToList();
        return Task.FromResult<IReadOnlyList<RecipeSummary>>(found.Count > 0 ? found : s_recipeBook[..2]);
    }

    [Step(RequiresApproval = true), Description("Orders missing ingredients from the grocery service, for delivery today. Costs money: it is only run once a person approves.")]
    public virtual Task<OrderReceipt> OrderIngredientsAsync(
        [Description("The ingredients to order, one per item, with amounts.")] List<string> items,
        CancellationToken cancellationToken = default)
    {
        int number = Interlocked.Increment(ref _orders);
        return Task.FromResult(new OrderReceipt($"order-{number}", items, "today, 17:00-18:00"));
    }

    [Step(Model = "gpt-4o-mini")]
    [Description("You are a sommelier. Suggest one wine for the dish, in one sentence.")]
    public abstract Task<WinePairing> SuggestWineAsync(string dish, CancellationToken cancellationToken = default);

    [Step(Model = "gpt-4o-mini")]
    [Description("You host dinners. Decide whether to cook the requested dinner at home, order a takeaway, or ask the guest a question first.")]
    public abstract Task<DinnerDecision> DecideAsync(string request, CancellationToken cancellationToken = default);

    [Step(Model = "gpt-4o-mini", Tools = [nameof(SearchRecipesAsync), nameof(OrderIngredientsAsync), nameof(SuggestWineAsync), "convert_units"], MaxToolCalls = 10)]
    [Description("You plan dinners for a home cook. Use the tools: search the recipe book, convert US units to metric, " +
                 "order what is missing (a person approves each order) and ask the sommelier for a wine. Then give the plan.")]
    public abstract Task<MealPlan> PlanDinnerAsync(CookAtHome dinner, CancellationToken cancellationToken = default);

    [Step]
    public virtual async Task<DinnerResult> HostDinnerAsync(string request, CancellationToken cancellationToken = default)
    {
        var decision = await DecideAsync(request, cancellationToken);
        return decision is CookAtHome cook
            ? new DinnerResult(decision, await PlanDinnerAsync(cook, cancellationToken))
            : new DinnerResult(decision, null);
    }
}
