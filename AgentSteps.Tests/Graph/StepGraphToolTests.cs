using AgentSteps.Tests.GraphWorkflows;

namespace AgentSteps.Tests;

public class StepGraphToolTests
{
    private static StepGraph Host => StepGraph.For<Kitchen>(nameof(Kitchen.HostAsync));

    private static StepNode Node(StepGraph graph, string name) => graph.Nodes.Single(n => n.Name == name);

    [Test]
    public void For_LlmStepWithTools_HasToolEdgesToItsStepsInToolsOrder()
    {
        var plan = Node(Host, nameof(Kitchen.PlanDinnerAsync));

        Assert.That(plan.Children.Select(e => e.Target.Name), Is.EqualTo(new[] { nameof(Kitchen.SearchRecipesAsync), nameof(Kitchen.OrderIngredientsAsync) }));
        Assert.That(plan.Children, Has.All.Matches<StepEdge>(e => e.IsToolCall && e.IsConditional && e.Inputs.Count == 0 && ReferenceEquals(e.Source, plan)));
        Assert.That(plan.Children[0].ToString(), Is.EqualTo("PlanDinnerAsync -> SearchRecipesAsync (tool)"));
    }

    [Test]
    public void For_CallsInCode_AreNotToolCalls()
    {
        var graph = Host;

        Assert.That(graph.Root.Children.Select(e => e.Target.Name), Is.EqualTo(new[] { nameof(Kitchen.PlanDinnerAsync), nameof(Kitchen.ScaleAsync) }));
        Assert.That(graph.Root.Children, Has.None.Matches<StepEdge>(e => e.IsToolCall));
        Assert.That(Node(graph, nameof(Kitchen.OrderIngredientsAsync)).Children.Single(), Has.Property(nameof(StepEdge.IsToolCall)).False);
    }

    [Test]
    public void For_ToolNamesThatAreNoSteps_AreExternalTools()
    {
        var graph = Host;

        Assert.That(Node(graph, nameof(Kitchen.PlanDinnerAsync)).ExternalTools, Is.EqualTo(new[] { "convert_units" }));
        Assert.That(Node(graph, nameof(Kitchen.ScaleAsync)).ExternalTools, Is.EqualTo(new[] { "convert_units" }));
        Assert.That(graph.Root.ExternalTools, Is.Empty);
        Assert.That(graph.Nodes.Select(n => n.Name), Has.None.EqualTo("convert_units"));
    }

    [Test]
    public void For_StepsReachableOnlyThroughTools_AreInTheGraph()
    {
        Assert.That(Host.Nodes.Select(n => n.Name), Is.EqualTo(new[]
        {
            nameof(Kitchen.HostAsync), nameof(Kitchen.PlanDinnerAsync), nameof(Kitchen.ScaleAsync),
            nameof(Kitchen.SearchRecipesAsync), nameof(Kitchen.OrderIngredientsAsync), nameof(Kitchen.ListItems),
        }));
        Assert.That(StepGraph.For<Kitchen>(nameof(Kitchen.PlanDinnerAsync)).Nodes.Select(n => n.Name), Is.EqualTo(new[]
        {
            nameof(Kitchen.PlanDinnerAsync), nameof(Kitchen.SearchRecipesAsync), nameof(Kitchen.OrderIngredientsAsync), nameof(Kitchen.ListItems),
        }));
    }

    [Test]
    public void For_RequiresApproval_IsOnTheNode()
    {
        var graph = Host;

        Assert.That(Node(graph, nameof(Kitchen.OrderIngredientsAsync)).RequiresApproval, Is.True);
        Assert.That(Node(graph, nameof(Kitchen.SearchRecipesAsync)).RequiresApproval, Is.False);
    }

    [Test]
    public void For_ToolThatIsTheStepItselfOrCallsItBack_ClosesCycles()
    {
        var graph = StepGraph.For<Researcher>(nameof(Researcher.ResearchAsync));
        var cite = Node(graph, nameof(Researcher.CiteAsync));

        Assert.That(graph.Root.CallsItself, Is.True);
        Assert.That(graph.Root.Children.Select(e => (e.Target.Name, e.IsToolCall, e.IsBackEdge)), Is.EqualTo(new[]
        {
            (nameof(Researcher.ResearchAsync), true, true),
            (nameof(Researcher.CiteAsync), true, false),
        }));
        Assert.That(cite.Children.Select(e => (e.Target.Name, e.IsToolCall, e.IsBackEdge)), Is.EqualTo(new[] { (nameof(Researcher.ResearchAsync), false, true) }));
    }

    [Test]
    public void LlmStepWithoutTools_IsDrawnAsBefore()
    {
        var graph = StepGraph.For<Kitchen>(nameof(Kitchen.ChatAsync));

        Assert.That(graph.Nodes, Has.Count.EqualTo(1));
        Assert.That(graph.Root.Children, Is.Empty);
        Assert.That(graph.Root.ExternalTools, Is.Empty);
        Assert.That(graph.ToDot(), Is.EqualTo(string.Join(Environment.NewLine,
            "digraph \"Kitchen.ChatAsync\" {",
            "  graph [compound=true, rankdir=TB, fontname=\"Helvetica\", labeljust=l];",
            "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];",
            "  edge [fontname=\"Helvetica\", fontsize=9];",
            "  n0 [label=\"ChatAsync\\nm\", style=\"rounded,filled\", fillcolor=\"#dbeafe\"];",
            "}",
            string.Empty)));
        Assert.That(graph.ToMermaid(), Is.EqualTo(string.Join(Environment.NewLine,
            "flowchart TD",
            "  n0([\"ChatAsync<br/>m\"])",
            "  classDef llm fill:#dbeafe,stroke:#1d4ed8",
            "  class n0 llm",
            string.Empty)));
    }

    [Test]
    public void ToDot_ToolCallsAreDashedToolEdges_CodeCallsSolid_ExternalToolsComponents()
    {
        var dot = Host.ToDot();
        const string Tool = " [style=dashed, color=\"#1d4ed8\", fontcolor=\"#1d4ed8\", label=\"tool\"];\n";

        Assert.That(dot, Does.Contain("  n0 -> n1;\n").And.Contain("  n0 -> n2;\n").And.Contain("  n4 -> n5;\n"), "calls in code stay solid");
        Assert.That(dot, Does.Contain("  n1 -> n3" + Tool).And.Contain("  n2 -> n3" + Tool));
        Assert.That(dot, Does.Contain("  n1 -> n4 [style=dashed, color=\"#1d4ed8\", fontcolor=\"#1d4ed8\", label=\"tool, needs approval\"];\n"));
        Assert.That(dot, Does.Contain("  n1 -> t0" + Tool).And.Contain("  n2 -> t0" + Tool));
        Assert.That(dot, Does.Contain("t0 [label=\"convert_units\", shape=component, style=solid];"));
        Assert.That(dot.Split("shape=component"), Has.Length.EqualTo(2), "an external tool offered by two steps is one node");
        Assert.That(dot, Does.Contain("subgraph \"cluster_n1\" {").And.Contain("label=\"PlanDinnerAsync\";"), "an LLM step with tools is a cluster");
    }

    [Test]
    public void ToMermaid_ToolCallsAreDottedToolArrows_ExternalToolsSubroutines()
    {
        Assert.That(Host.ToMermaid(), Is.EqualTo(string.Join(Environment.NewLine,
            "flowchart TD",
            "  subgraph c_n0 [\"HostAsync\"]",
            "    n0[\"HostAsync\"]",
            "    subgraph c_n1 [\"PlanDinnerAsync\"]",
            "      n1([\"PlanDinnerAsync<br/>m\"])",
            "      n3[\"SearchRecipesAsync\"]",
            "      subgraph c_n4 [\"OrderIngredientsAsync\"]",
            "        n4[\"OrderIngredientsAsync\"]",
            "        n5[\"ListItems\"]",
            "      end",
            "      t0[[\"convert_units\"]]",
            "    end",
            "    subgraph c_n2 [\"ScaleAsync\"]",
            "      n2([\"ScaleAsync<br/>m\"])",
            "    end",
            "  end",
            "  n0 --> n1",
            "  n0 --> n2",
            "  n1 -.->|tool| n3",
            "  n1 -.->|tool, needs approval| n4",
            "  n1 -.->|tool| t0",
            "  n2 -.->|tool| n3",
            "  n2 -.->|tool| t0",
            "  n4 --> n5",
            "  n1 -- result --> n2",
            "  classDef llm fill:#dbeafe,stroke:#1d4ed8",
            "  class n1,n2 llm",
            string.Empty)));
    }

    [Test]
    public void Writers_ToolCycleAndExternalToolName_AreLabelledAndEscaped()
    {
        var graph = StepGraph.For<Researcher>(nameof(Researcher.ResearchAsync));
        var dot = graph.ToDot();
        var mermaid = graph.ToMermaid();

        Assert.That(dot, Does.Contain("  n0 -> n0 [style=dashed, color=\"#b91c1c\", constraint=false, label=\"tool, loops back\"];"));
        Assert.That(dot, Does.Contain("  n1 -> n0 [color=\"#b91c1c\", constraint=false, label=\"loops back\"];"));
        Assert.That(dot, Does.Contain("t0 [label=\"web \\\"search\\\" <beta>\", shape=component, style=solid];"));
        Assert.That(mermaid, Does.Contain("  n0 -.->|tool, loops back| n0").And.Contain("  n1 -->|loops back| n0"));
        Assert.That(mermaid, Does.Contain("t0[[\"web #quot;search#quot; #lt;beta#gt;\"]]"));
    }
}
