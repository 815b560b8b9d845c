using AgentSteps.Examples.Graph;
using AgentSteps.Examples.Recipes;
using AgentSteps.Examples.Web;

const string Usage = """
    Usage:
      dotnet run --project AgentSteps.Examples -- recipe "chicken parmesan"
      dotnet run --project AgentSteps.Examples -- graph
      dotnet run --project AgentSteps.Examples -- serve [url]
    """;

switch (args)
{
    case ["recipe", .. var rest] when rest.Length > 0 && !string.IsNullOrWhiteSpace(string.Join(' ', rest)):
        return RecipeCommand.Run(string.Join(' ', rest), Console.Out);
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
