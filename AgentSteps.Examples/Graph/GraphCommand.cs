using AgentSteps.Examples.Recipes;

namespace AgentSteps.Examples.Graph;

/// <summary>Draws the recipe workflow from its compiled IL: DOT, Mermaid and, with Graphviz installed, PNG.</summary>
public static class GraphCommand
{
    public static int Run(string directory, TextWriter output)
    {
        var graph = StepGraph.For<RecipeWorkflow>(nameof(RecipeWorkflow.CreateRecipe));
        var dot = Path.Combine(directory, "recipe-graph.dot");
        var mermaid = Path.Combine(directory, "recipe-graph.mmd");
        File.WriteAllText(dot, graph.ToDot());
        File.WriteAllText(mermaid, graph.ToMermaid());
        output.WriteLine($"Wrote {dot} and {mermaid}.");
        try
        {
            var png = Path.Combine(directory, "recipe-graph.png");
            graph.Render(png, GraphImageFormat.Png);
            output.WriteLine($"Wrote {png}.");
        }
        catch (InvalidOperationException e)
        {
            output.WriteLine($"No PNG: {e.Message}");
        }

        foreach (var node in graph.Nodes)
        {
            foreach (var edge in node.Children)
            {
                var inputs = edge.Inputs.Count == 0 ? string.Empty : $" (given the result of {string.Join(", ", edge.Inputs.Select(i => i.Name))})";
                output.WriteLine($"  {node.Name} -> {edge.Target.Name}{(edge.IsConditional ? ", conditional" : string.Empty)}{(edge.IsBackEdge ? ", loops back" : string.Empty)}{inputs}");
            }
        }

        return 0;
    }
}
