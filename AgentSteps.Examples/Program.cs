using AgentSteps.Examples.Graph;
using AgentSteps.Examples.Kitchen;
using AgentSteps.Examples.Recipes;
using AgentSteps.Examples.Web;

const string Usage = """
    Usage:
      dotnet run --project AgentSteps.Examples -- recipe "chicken parmesan"
      dotnet run --project AgentSteps.Examples -- kitchen [--approve | --deny] "dinner for two"
      dotnet run --project AgentSteps.Examples -- graph
      dotnet run --project AgentSteps.Examples -- serve [url]
    """;

switch (args)
{
    case ["recipe", .. var rest] when rest.Length > 0 && !string.IsNullOrWhiteSpace(string.Join(' ', rest)):
        return RecipeCommand.Run(string.Join(' ', rest), Console.Out);
    case ["kitchen", .. var rest] when KitchenRequest(rest) is { } kitchen:
        return KitchenCommand.Run(kitchen.Request, Console.Out, kitchen.Approval, Console.IsInputRedirected ? null : Console.In);
    case ["kitchen", .. var rest] when rest.Contains("--approve") && rest.Contains("--deny"):
        Console.Error.WriteLine("Pass --approve or --deny, not both.");
        return 64;
    case ["kitchen", .. var rest] when rest.FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal) && a is not ("--approve" or "--deny")) is { } unknown:
        Console.Error.WriteLine($"Unknown option '{unknown}': kitchen takes --approve or --deny.");
        return 64;
    case ["kitchen", ..]:
        Console.Error.WriteLine("Say what dinner to plan, such as: kitchen \"dinner for two\" (add --approve or --deny to answer the grocery order)");
        return 64;
    case ["serve"]:
        return ServeCommand.Run(null, Console.Out);
    case ["serve", var url]:
        return ServeCommand.Run(url, Console.Out);
    case ["graph"]:
        return GraphCommand.Run(Directory.GetCurrentDirectory(), Console.Out);
    case ["recipe", ..]:
        Console.Error.WriteLine("Say what to cook, such as: recipe \"chicken parmesan\"");
        return 64;
    default:
        Console.Error.WriteLine(Usage);
        return 64;
}

// kitchen's arguments: the request's words, and at most one of --approve and --deny anywhere among them (no other option).
static (string Request, ApprovalMode Approval)? KitchenRequest(string[] rest)
{
    bool approve = rest.Contains("--approve"), deny = rest.Contains("--deny");
    var request = string.Join(' ', rest.Where(a => a is not ("--approve" or "--deny")));
    if ((approve && deny) || string.IsNullOrWhiteSpace(request) || rest.Any(a => a.StartsWith("--", StringComparison.Ordinal) && a is not ("--approve" or "--deny")))
    {
        return null;
    }

    return (request, approve ? ApprovalMode.Approve : deny ? ApprovalMode.Deny : ApprovalMode.Ask);
}
