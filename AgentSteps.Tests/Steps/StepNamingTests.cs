using System.Diagnostics;

namespace AgentSteps.Tests;

public class StepNamingTests
{
    public record Answer(string Text);

    public record Item(string Name);

    public abstract class Overloads
    {
        [Step(MaxLoops = 1)]
        public virtual string Go(string text) => Go(text, 2);

        [Step]
        public virtual string Go(string text, int times) => string.Concat(Enumerable.Repeat(text, times));

        [Step]
        public virtual string Again(string text) => Go(text) + Go(text);
    }

    [Test]
    public void Call_OverloadedSteps_AreNamedWithTheirParameterTypes()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Assert.That(Steps.Create<Overloads>().Go("a"), Is.EqualTo("aa"));

        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "Go(string, int)", "Go(string)" }));
        Assert.That(runtime.FormatTree(), Does.Contain("Go(string) #1").And.Contain("Go(string, int) #1"));
    }

    [Test]
    public void MaxLoops_OfAnOverloadedStep_NamesTheOverload()
    {
        using var runtime = new Runtime(new SampleChatClient());

        var e = Assert.Throws<MaxLoopsExceededException>(() => Steps.Create<Overloads>().Again("a"));

        Assert.That(e!.StepName, Is.EqualTo("Overloads.Go(string)"));
    }

    [Test]
    public void Spans_OfOverloadedSteps_HaveDistinctNames()
    {
        var names = new List<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AgentStepsTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                lock (names)
                {
                    names.Add(activity.DisplayName + " " + activity.GetTagItem("agentsteps.step.name") + " " + activity.GetTagItem("agentsteps.workflow"));
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<Overloads>().Go("a");

        Assert.That(names, Is.EqualTo(new[] { "Overloads.Go(string, int) Go(string, int) Overloads", "Overloads.Go(string) Go(string) Overloads" }));
    }

    [Test]
    public void StepGraph_OverloadedName_ThrowsListingTheOverloads()
    {
        var e = Assert.Throws<ArgumentException>(() => StepGraph.For<Overloads>("Go"));

        Assert.That(e!.Message, Does.Contain("Workflow 'Overloads' has 2 steps named 'Go': Go(string), Go(string, int).").And.Contain("by its signature"));
        Assert.That(e.ParamName, Is.EqualTo("rootStepName"));
    }

    [Test]
    public void StepGraph_OverloadSignature_SelectsThatOverload()
    {
        var graph = StepGraph.For<Overloads>("Go(string)");
        var spaced = StepGraph.For<Overloads>("Go( string,int )");

        Assert.That(graph.Root.Name, Is.EqualTo("Go(string)"));
        Assert.That(graph.Nodes.Select(n => n.QualifiedName), Is.EqualTo(new[] { "Overloads.Go(string)", "Overloads.Go(string, int)" }));
        Assert.That(spaced.Root.Name, Is.EqualTo("Go(string, int)"));
        Assert.That(graph.ToDot(), Does.Contain("\"Go(string, int)\""));
    }

    public abstract class Extract<T>
    {
        [Step(Model = "m")]
        public abstract Answer Run(T input);

        [Step]
        public virtual string Name(T input) => Run(input).Text;
    }

    [Test]
    public void GenericWorkflow_IsNamedAsCSharpWritesIt()
    {
        using (var runtime = new Runtime(new ScriptedChatClient("""{"Text":"pen"}""")))
        {
            Steps.Create<Extract<Item>>().Name(new Item("pen"));
            Assert.That(runtime.ExecutedSteps.Select(s => s.Workflow), Has.All.EqualTo("Extract<Item>"));
        }

        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<Extract<List<int?>>>().Run([1]));
        Assert.That(e!.Message, Does.StartWith("Step 'Extract<List<int?>>.Run' was called with no runtime open."));
        Assert.That(StepGraph.For<Extract<Item>>("Name").ToDot(), Does.Contain("digraph \"Extract<Item>.Name\""));
    }

    public abstract class BaseSteps
    {
        [Step]
        public virtual string Shared(string text) => text.ToUpperInvariant();
    }

    public abstract class FirstWorkflow : BaseSteps
    {
        [Step]
        public virtual string Run(string text) => Shared(text);
    }

    public abstract class SecondWorkflow : BaseSteps
    {
    }

    [Test]
    public void InheritedStep_IsNamedForTheProxiedWorkflow()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<FirstWorkflow>().Run("a");
        Steps.Create<SecondWorkflow>().Shared("b");

        Assert.That(runtime.ExecutedSteps.Select(s => s.Workflow + "." + s.Name), Is.EqualTo(new[] { "FirstWorkflow.Shared", "FirstWorkflow.Run", "SecondWorkflow.Shared" }));
        Assert.That(StepGraph.For<FirstWorkflow>("Run").Nodes.Select(n => n.QualifiedName), Is.EqualTo(new[] { "FirstWorkflow.Run", "FirstWorkflow.Shared" }));
    }
}
