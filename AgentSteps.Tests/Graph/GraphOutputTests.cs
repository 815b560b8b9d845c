using System.Diagnostics;
using AgentSteps.Examples.Recipes;
using AgentSteps.Graph;
using AgentSteps.Tests.GraphWorkflows;

namespace AgentSteps.Tests;

public class GraphOutputTests
{
    private static StepGraph Recipe => StepGraph.For<RecipeWorkflow>(nameof(RecipeWorkflow.CreateRecipe));

    [Test]
    public void ToDot_Recipe_DrawsAClusterBoxesModelsDashedBackEdgeAndResults()
    {
        var dot = Recipe.ToDot();

        Assert.That(dot, Does.StartWith("digraph \"RecipeWorkflow.CreateRecipe\" {"));
        Assert.That(dot, Does.Contain("subgraph \"cluster_n0\" {").And.Contain("label=\"CreateRecipe\";"));
        Assert.That(dot, Does.Contain("n0 [label=\"CreateRecipe\\nmax loops: 3\", style=\"rounded,bold\"];"));
        Assert.That(dot, Does.Contain("n1 [label=\"DraftRecipe\\ngpt-4o-mini\", style=\"rounded,filled\", fillcolor=\"#dbeafe\"];"));
        Assert.That(dot, Does.Contain("  n0 -> n1;\n").And.Contain("  n0 -> n2;\n").And.Contain("  n0 -> n3;\n"));
        Assert.That(dot, Does.Contain("n0 -> n0 [style=dashed, color=\"#b91c1c\", constraint=false, label=\"loops back\"];"));
        Assert.That(dot, Does.Contain("n1 -> n2 [style=dotted").And.Contain("n2 -> n3 [style=dotted"));
    }

    [Test]
    public void ToMermaid_Recipe_WritesAFlowchartWithSubgraphAndStyles()
    {
        var mermaid = Recipe.ToMermaid();

        Assert.That(mermaid, Is.EqualTo(string.Join(Environment.NewLine,
            "flowchart TD",
            "  subgraph c_n0 [\"CreateRecipe\"]",
            "    n0[\"CreateRecipe<br/>max loops: 3\"]",
            "    n1([\"DraftRecipe<br/>gpt-4o-mini\"])",
            "    n2([\"ImproveRecipe<br/>gpt-4o-mini\"])",
            "    n3([\"ValidateRecipe<br/>gpt-4o-mini\"])",
            "  end",
            "  n0 --> n1",
            "  n0 --> n2",
            "  n0 --> n3",
            "  n0 -.->|loops back| n0",
            "  n1 -- result --> n2",
            "  n2 -- result --> n3",
            "  classDef llm fill:#dbeafe,stroke:#1d4ed8",
            "  class n1,n2,n3 llm",
            string.Empty)));
    }

    [Test]
    public void Writers_EscapeQuotesBackslashesAndMarkup()
    {
        Assert.That(GraphWriter.Quote("a \"b\" \\ c\nd"), Is.EqualTo("\"a \\\"b\\\" \\\\ c\\nd\""));
        Assert.That(GraphWriter.MermaidText("List<\"x\"> & y"), Is.EqualTo("List#lt;#quot;x#quot;#gt; #amp; y"));
    }

    [Test]
    public void ToDot_NestedCallers_NestTheirClusters()
    {
        var dot = StepGraph.For<DerivedWorkflow>("Start").ToDot();
        int start = dot.IndexOf("subgraph \"cluster_n0\"", StringComparison.Ordinal);
        int run = dot.IndexOf("subgraph \"cluster_n1\"", StringComparison.Ordinal);
        int review = dot.IndexOf("subgraph \"cluster_n3\"", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0));
        Assert.That(run, Is.GreaterThan(start));
        Assert.That(review, Is.GreaterThan(run));
    }

    [TestCase(GraphImageFormat.Png)]
    [TestCase(GraphImageFormat.Svg)]
    public void Render_WithGraphviz_WritesTheImage(GraphImageFormat format)
    {
        var path = Path.Combine(Path.GetTempPath(), $"agentsteps-{Guid.NewGuid():N}.{format.ToString().ToLowerInvariant()}");
        try
        {
            Recipe.Render(path, format);

            var bytes = File.ReadAllBytes(path);
            if (format == GraphImageFormat.Png)
            {
                Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
            }
            else
            {
                Assert.That(System.Text.Encoding.UTF8.GetString(bytes), Does.Contain("<svg").And.Contain("ValidateRecipe"));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Render_WithoutGraphviz_SaysHowToInstallIt()
    {
        var e = Assert.Throws<InvalidOperationException>(() => GraphvizRenderer.Render("digraph {}", "x.png", GraphImageFormat.Png, searchPath: "/nonexistent"));
        Assert.That(e!.Message, Does.Contain("'dot' was not found on PATH").And.Contain("apt-get install graphviz"));
    }

    [TestCase(typeof(RecipeWorkflow), "CreateRecipe")]
    [TestCase(typeof(Constructs), "Async")]
    [TestCase(typeof(Constructs), "Switch")]
    [TestCase(typeof(Cycle), "Ping")]
    [TestCase(typeof(DerivedWorkflow), "Start")]
    [TestCase(typeof(FiftySteps), "Step00")]
    [TestCase(typeof(Kitchen), "HostAsync")]
    [TestCase(typeof(Researcher), "ResearchAsync")]
    public void ToDot_IsAcceptedByGraphviz(Type workflow, string root)
    {
        var dot = GraphvizRenderer.FindDot(Environment.GetEnvironmentVariable("PATH"));
        Assert.That(dot, Is.Not.Null, "Graphviz must be installed for this test; .ci/run installs it");
        var start = new ProcessStartInfo(dot!, "-Tsvg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(StepGraph.For(workflow, root).ToDot());
        process.StandardInput.Close();
        process.WaitForExit();

        Assert.That(process.ExitCode, Is.Zero, errors.Result);
        Assert.That(errors.Result, Is.Empty, "no warnings either");
        Assert.That(output.Result, Does.Contain("<svg"));
    }

    [Test]
    public void FiftySteps_AreAllReachedWithConditionalEdgesAndBackEdges()
    {
        var watch = Stopwatch.StartNew();
        var graph = StepGraph.For<FiftySteps>("Step00");
        TestContext.Out.WriteLine($"50-step graph built in {watch.Elapsed.TotalMilliseconds:0.0} ms (first build, Cecil load included).");

        Assert.That(graph.Nodes, Has.Count.EqualTo(50));
        Assert.That(graph.Nodes.SelectMany(n => n.Children).Count(), Is.EqualTo(99), "Step00 to Step48 call the next step and a later one; Step49 calls one");
        Assert.That(graph.Nodes.SelectMany(n => n.Children).All(e => e.IsConditional), Is.True);
        Assert.That(graph.Nodes.SelectMany(n => n.Children).Count(e => e.IsBackEdge), Is.GreaterThan(0));
    }
}
