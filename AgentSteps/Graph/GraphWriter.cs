using System.Globalization;
using System.Text;

namespace AgentSteps.Graph;

/// <summary>
/// Writes a <see cref="StepGraph"/> as Graphviz DOT and as Mermaid. Each step is drawn once: a step that calls others
/// is a cluster holding itself and the steps it was first to call; calls are edges (dashed when conditional, marked
/// when they close a cycle), and dotted "result" edges show which step's result feeds which call. Tool calls of LLM steps
/// are dashed "tool" edges (blue in DOT), to steps or to external tools, which are drawn once each in a shape of their own.
/// </summary>
internal static class GraphWriter
{
    private const string LlmFill = "#dbeafe";
    private const string ToolColor = "#1d4ed8";

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
                }
                else if (edge.IsToolCall)
                {
                    attributes.Add($"color=\"{ToolColor}\"");
                    attributes.Add($"fontcolor=\"{ToolColor}\"");
                }

                if (EdgeLabel(edge) is { } label)
                {
                    attributes.Add("label=" + Quote(label));
                }

                dot.Append("  ").Append(layout.Id(node)).Append(" -> ").Append(layout.Id(edge.Target));
                dot.AppendLine(attributes.Count == 0 ? ";" : " [" + string.Join(", ", attributes) + "];");
            }

            foreach (var tool in node.ExternalTools)
            {
                dot.Append("  ").Append(layout.Id(node)).Append(" -> ").Append(layout.ToolId(tool))
                    .AppendLine($" [style=dashed, color=\"{ToolColor}\", fontcolor=\"{ToolColor}\", label=\"tool\"];");
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
                if (EdgeLabel(edge) is { } label)
                {
                    mermaid.Append('|').Append(label).Append('|');
                }

                mermaid.Append(' ').AppendLine(layout.Id(edge.Target));
            }

            foreach (var tool in node.ExternalTools)
            {
                mermaid.Append("  ").Append(layout.Id(node)).Append(" -.->|tool| ").AppendLine(layout.ToolId(tool));
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

        foreach (var tool in layout.OwnedTools(node))
        {
            // style=solid: the default "rounded" would square off the component shape's tabs.
            dot.Append(inner).Append(layout.ToolId(tool)).Append(" [label=").Append(Quote(tool)).AppendLine(", shape=component, style=solid];");
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

        foreach (var tool in layout.OwnedTools(node))
        {
            mermaid.Append(inner).Append(layout.ToolId(tool)).Append("[[\"").Append(MermaidText(tool)).AppendLine("\"]]");
        }

        if (cluster)
        {
            mermaid.Append(indent).AppendLine("end");
        }
    }

    private static bool CallsOthers(StepNode node) => node.ExternalTools.Count > 0 || node.Children.Any(e => !ReferenceEquals(e.Target, node));

    /// <summary>The words on an edge: "tool" for a tool call (and "needs approval" when its step asks first), "loops back" for a cycle.</summary>
    private static string? EdgeLabel(StepEdge edge)
    {
        var words = new List<string>();
        if (edge.IsToolCall)
        {
            words.Add("tool");
            if (edge.Target.RequiresApproval)
            {
                words.Add("needs approval");
            }
        }

        if (edge.IsBackEdge)
        {
            words.Add("loops back");
        }

        return words.Count == 0 ? null : string.Join(", ", words);
    }

    internal static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    internal static string MermaidText(string text) =>
        text.Replace("&", "#amp;", StringComparison.Ordinal).Replace("\"", "#quot;", StringComparison.Ordinal)
            .Replace("<", "#lt;", StringComparison.Ordinal).Replace(">", "#gt;", StringComparison.Ordinal);

    /// <summary>
    /// Node ids, and which cluster each node is drawn in: that of the first step found calling it. An external tool is
    /// one node however many steps offer it, since they share the one in <see cref="RuntimeOptions.Tools"/>.
    /// </summary>
    private sealed class Layout
    {
        private readonly StepGraph _graph;
        private readonly Dictionary<StepNode, string> _ids = [];
        private readonly Dictionary<StepNode, List<StepNode>> _owned = [];
        private readonly Dictionary<string, string> _toolIds = new(StringComparer.Ordinal);
        private readonly Dictionary<StepNode, List<string>> _ownedTools = [];

        public Layout(StepGraph graph)
        {
            _graph = graph;
            var placed = new HashSet<StepNode> { graph.Root };
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                var node = graph.Nodes[i];
                _ids[node] = "n" + i.ToString(CultureInfo.InvariantCulture);
                _owned[node] = [];
                _ownedTools[node] = [];
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

                foreach (var tool in node.ExternalTools)
                {
                    if (!_toolIds.ContainsKey(tool))
                    {
                        _toolIds[tool] = "t" + _toolIds.Count.ToString(CultureInfo.InvariantCulture);
                        _ownedTools[node].Add(tool);
                    }
                }
            }
        }

        public string Id(StepNode node) => _ids[node];

        public List<StepNode> Owned(StepNode node) => _owned[node];

        public string ToolId(string tool) => _toolIds[tool];

        public List<string> OwnedTools(StepNode node) => _ownedTools[node];

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
