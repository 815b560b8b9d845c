using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/tools.md and README's "Tools" section, compiled so that it stays true.</summary>
public record Menu(string Dish, List<string> Steps, string Wine);

public abstract class DinnerPlanner
{
    [Step, Description("Searches the recipe book for recipes that match the query.")]
    public virtual Task<IReadOnlyList<string>> SearchRecipesAsync(
        [Description("Words to look for, such as 'soup'.")] string query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(["Leek and potato soup", "Mushroom risotto"]);

    [Step(RequiresApproval = true), Description("Orders missing ingredients from the grocery service.")]
    public virtual Task<string> OrderIngredientsAsync(List<string> items) => Task.FromResult($"Ordered {items.Count} items.");

    [Step(Model = "gpt-4o-mini"), Description("You are a sommelier. Suggest one wine for the dish.")]
    public abstract Task<string> SuggestWineAsync(string dish);

    [Step(Model = "gpt-4o-mini", Tools = [nameof(SearchRecipesAsync), nameof(OrderIngredientsAsync), nameof(SuggestWineAsync), "convert_units"], MaxToolCalls = 10)]
    [Description("You plan dinners. Use the tools.")]
    public abstract Task<Menu> PlanDinnerAsync(string request);
}

public record Ticket(string Subject, string Body);

[JsonDerivedType(typeof(Escalate))]
[JsonDerivedType(typeof(Answer))]
public abstract record TicketDecision;

[Description("Hand the ticket to a team.")]
public sealed record Escalate(string Team, string Reason) : TicketDecision;

public sealed record Answer(string Text) : TicketDecision;

public abstract class SupportDesk
{
    [Step(Model = "gpt-4o-mini"), Description("Decide what to do with a support ticket.")]
    public abstract Task<TicketDecision> TriageAsync(Ticket ticket);
}

public static class ToolSnippets
{
    public static async Task<Menu> ExternalToolsAndApprovalAsync(IChatClient client, Func<string, CancellationToken, ValueTask<bool>> askAPersonAsync)
    {
        var options = new RuntimeOptions { ChatClient = client };
        options.Tools.Add(AIFunctionFactory.Create(
            (double amount, string from, string to) => $"{amount} {from} is {Units.Convert(amount, from, to)} {to}",
            "convert_units",
            "Converts an amount between kitchen units, such as cup and ml."));
        options.ApprovalHandler = async (request, cancellationToken) =>
        {
            var call = (FunctionCallContent)request.ToolCall;          // the tool's name and the model's arguments
            var arguments = string.Join(", ", call.Arguments!.Select(a => $"{a.Key} = {a.Value}"));
        return await askAPersonAsync($"May the planner call {call.Name}({arguments})?", cancellationToken);
        };

        using var runtime = new Runtime(options);
        var menu = await Steps.Create<DinnerPlanner>().PlanDinnerAsync("dinner for two");
        Console.WriteLine(runtime.FormatTree());                          // the tool calls sit under PlanDinnerAsync
        return menu;
    }

    public static RuntimeOptions ApprovalRequiredFunction(IChatClient client, AIFunction sendInvoice)
    {
        var options = new RuntimeOptions { ChatClient = client };
        options.Tools.Add(new ApprovalRequiredAIFunction(sendInvoice)); // asked through ApprovalHandler, like RequiresApproval
        options.ApprovalHandler = (request, cancellationToken) => ValueTask.FromResult(false);
        return options;
    }

    public static async Task<RuntimeOptions> McpToolsAsync(IChatClient client)
    {
        var mcp = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri("http://localhost:3001/mcp"),
        }));
        var options = new RuntimeOptions { ChatClient = client };
        foreach (var tool in await mcp.ListToolsAsync())
        {
            options.Tools.Add(tool);                                      // an McpClientTool is an AIFunction
        }

        return options;                                                   // dispose mcp when the runs are done
    }

    public static async Task<string> TriageAsync(Ticket ticket)
    {
        var decision = await Steps.Create<SupportDesk>().TriageAsync(ticket);
        return decision switch
        {
            Escalate escalate => $"Sent to {escalate.Team}: {escalate.Reason}",
            Answer answer => answer.Text,
            _ => throw new UnreachableException(),
        };
    }

    public static async Task LimitAsync(DinnerPlanner planner)
    {
        try
        {
            await planner.PlanDinnerAsync("a banquet for forty");
        }
        catch (MaxToolCallsExceededException e)
        {
            Console.WriteLine($"{e.StepName} asked for {e.Requested} tool calls; it may make {e.MaxToolCalls}.");
        }
    }

    public static RuntimeOptions OwnFunctionInvocation(IChatClient innerClient)
    {
        var client = innerClient.AsBuilder().UseFunctionInvocation().Build();  // your own pipeline, for your own chats
        return new RuntimeOptions { ChatClient = client };                      // AgentSteps' tool calls pass through it
    }

    public static void PrintToolCalls(Runtime runtime)
    {
        foreach (var step in runtime.ExecutedSteps.Where(s => s.Parent is { Kind: StepKind.Llm }))
        {
            Console.WriteLine($"{step.Key} ({step.Kind}): {step.Exception?.Message ?? step.Result}");
        }
    }
}

/// <summary>A stand-in for the application's own unit conversion.</summary>
public static class Units
{
    public static double Convert(double amount, string from, string to) => from == to ? amount : amount * 2;
}
