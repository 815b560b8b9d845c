using AgentSteps.Examples.Recipes;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/graph.md, compiled so that it stays true.</summary>
public static class GraphSnippets
{
    public static void Write(string dot, string mermaid, string png)
    {
        var graph = StepGraph.For<RecipeWorkflow>(nameof(RecipeWorkflow.CreateRecipe));
        File.WriteAllText(dot, graph.ToDot());          // Graphviz DOT
        File.WriteAllText(mermaid, graph.ToMermaid());  // Mermaid flowchart (GitHub renders it in Markdown)
        graph.Render(png, GraphImageFormat.Png);        // runs Graphviz's dot; PNG or SVG
    }
}
