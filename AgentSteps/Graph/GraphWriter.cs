using System.Globalization;
using System.Text;

namespace AgentSteps.Graph;

/// <summary>
/// Writes a <see cref="StepGraph"/> as Graphviz DOT and as Mermaid. Each step is drawn once: a step that calls others
/// is a cluster holding itself and the steps it was first to call; calls are edges (dashed when conditional, marked
/// when they close a cycle), and dotted "result" edges show which step's result feeds which call.
/// </summary>
internal static class GraphWriter
{
    private const string LlmFill = "#dbeafe";

    public static string ToDot(StepGraph graph)
    {
        var layout = new Layout(graph);
        var dot = new StringBuilder();
        dot.Append("digraph ").Append(Quote(graph.Root.QualifiedName)).AppendLine(" {");
        dot.AppendLine("  graph [compound=true, rankdir=TB, fontname=\"Helvetica\", labeljust=l];");
        dot.AppendLine("  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];");
        dot.AppendLine("  edge [fontname=\"Helvetica\", fontsize=9];");
        WriteDotNode(dot, layout, graph.Root, "  ");
        foreach (var node in graph.Nodes)
        {
            foreach (var edge in node.Children)
            {
                var attributes = new List<string>();
                if (edge.IsConditional)
                {
                    attributes.Add("style=dashed");
                }

                if (edge.IsBackEdge)
                {
                    attributes.Add("color=\"#b91c1c\"");
                    attributes.Add("constraint=false");
                    attributes.Add("label=\"loops back\"");
                }

                dot.Append("  ").Append(layout.Id(node)).Append(" -> ").Append(layout.Id(edge.Target));
                dot.AppendLine(attributes.Count == 0 ? ";" : " [" + string.Join(", ", attributes) + "];");
            }
        }

        foreach (var (from, to) in layout.Feeds())
        {
            dot.Append("  ").Append(layout.Id(from)).Append(" -> ").Append(layout.Id(to))
                .AppendLine(" [style=dotted, color=gray45, arrowhead=empty, label=\"result\", constraint=false];");
        }

        return dot.AppendLine("}").ToString();
    }

    public static string ToMermaid(StepGraph graph)
    {
        var layout = new Layout(graph);
        var mermaid = new StringBuilder("flowchart TD").AppendLine();
        WriteMermaidNode(mermaid, layout, graph.Root, "  ");
        foreach (var node in graph.Nodes)
        {
            foreach (var edge in node.Children)
            {
                var arrow = edge.IsConditional ? "-.->" : "-->";
                mermaid.Append("  ").Append(layout.Id(node)).Append(' ').Append(arrow);
                if (edge.IsBackEdge)
                {
                    mermaid.Append("|loops back|");
                }

                mermaid.Append(' ').AppendLine(layout.Id(edge.Target));
            }
        }

        foreach (var (from, to) in layout.Feeds())
        {
            mermaid.Append("  ").Append(layout.Id(from)).Append(" -- result --> ").AppendLine(layout.Id(to));
        }

        var llmSteps = graph.Nodes.Where(n => n.Kind == StepKind.Llm).Select(layout.Id).ToList();
        if (llmSteps.Count > 0)
        {
            mermaid.Append("  classDef llm fill:").Append(LlmFill).AppendLine(",stroke:#1d4ed8");
            mermaid.Append("  class ").Append(string.Join(",", llmSteps)).AppendLine(" llm");
        }

        return mermaid.ToString();
    }

    private static void WriteDotNode(StringBuilder dot, Layout layout, StepNode node, string indent)
    {
        var owned = layout.Owned(node);
        bool cluster = CallsOthers(node);
        if (cluster)
        {
            dot.Append(indent).Append("subgraph ").Append(Quote("cluster_" + layout.Id(node))).AppendLine(" {");
            dot.Append(indent).Append("  label=").Append(Quote(node.Name)).AppendLine(";");
            dot.Append(indent).AppendLine("  style=rounded; color=gray60;");
        }

        var inner = cluster ? indent + "  " : indent;
        var lines = new List<string> { node.Name };
        if (node.Kind == StepKind.Llm)
        {
            lines.Add(node.Model ?? "LLM");
        }

        if (node.MaxLoops > 0)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"max loops: {node.MaxLoops}"));
        }

        dot.Append(inner).Append(layout.Id(node)).Append(" [label=").Append(Quote(string.Join("\n", lines)));
        dot.Append(node.Kind == StepKind.Llm ? $", style=\"rounded,filled\", fillcolor=\"{LlmFill}\"" : cluster ? ", style=\"rounded,bold\"" : string.Empty);
        dot.AppendLine("];");
        foreach (var child in owned)
        {
            WriteDotNode(dot, layout, child, inner);
        }

        if (cluster)
        {
            dot.Append(indent).AppendLine("}");
        }
    }

    private static void WriteMermaidNode(StringBuilder mermaid, Layout layout, StepNode node, string indent)
    {
        bool cluster = CallsOthers(node);
        if (cluster)
        {
            mermaid.Append(indent).Append("subgraph ").Append("c_").Append(layout.Id(node)).Append(" [\"").Append(MermaidText(node.Name)).AppendLine("\"]");
        }

        var inner = cluster ? indent + "  " : indent;
        var lines = new List<string> { MermaidText(node.Name) };
        if (node.Kind == StepKind.Llm)
        {
            lines.Add(MermaidText(node.Model ?? "LLM"));
        }

        if (node.MaxLoops > 0)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"max loops: {node.MaxLoops}"));
        }

        var label = "\"" + string.Join("<br/>", lines) + "\"";
        mermaid.Append(inner).Append(layout.Id(node)).AppendLine(node.Kind == StepKind.Llm ? "([" + label + "])" : "[" + label + "]");
        foreach (var child in layout.Owned(node))
        {
            WriteMermaidNode(mermaid, layout, child, inner);
        }

        if (cluster)
        {
            mermaid.Append(indent).AppendLine("end");
        }
    }

    private static bool CallsOthers(StepNode node) => node.Children.Any(e => !ReferenceEquals(e.Target, node));

    internal static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    internal static string MermaidText(string text) =>
        text.Replace("&", "#amp;", StringComparison.Ordinal).Replace("\"", "#quot;", StringComparison.Ordinal)
            .Replace("<", "#lt;", StringComparison.Ordinal).Replace(">", "#gt;", StringComparison.Ordinal);

    /// <summary>Node ids, and which cluster each node is drawn in: that of the first step found calling it.</summary>
    private sealed class Layout
    {
        private readonly StepGraph _graph;
        private readonly Dictionary<StepNode, string> _ids = [];
        private readonly Dictionary<StepNode, List<StepNode>> _owned = [];

        public Layout(StepGraph graph)
        {
            _graph = graph;
            var placed = new HashSet<StepNode> { graph.Root };
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                var node = graph.Nodes[i];
                _ids[node] = "n" + i.ToString(CultureInfo.InvariantCulture);
                _owned[node] = [];
            }

            foreach (var node in graph.Nodes)
            {
                foreach (var edge in node.Children)
                {
                    if (placed.Add(edge.Target))
                    {
                        _owned[node].Add(edge.Target);
                    }
                }
            }
        }

        public string Id(StepNode node) => _ids[node];

        public List<StepNode> Owned(StepNode node) => _owned[node];

        public IEnumerable<(StepNode From, StepNode To)> Feeds()
        {
            var seen = new HashSet<(StepNode, StepNode)>();
            foreach (var node in _graph.Nodes)
            {
                foreach (var edge in node.Children)
                {
                    foreach (var input in edge.Inputs)
                    {
                        if (seen.Add((input, edge.Target)))
                        {
                            yield return (input, edge.Target);
                        }
                    }
                }
            }
        }
    }
}
