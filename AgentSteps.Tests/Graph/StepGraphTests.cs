using AgentSteps.Examples.Recipes;
using AgentSteps.Tests.GraphWorkflows;

namespace AgentSteps.Tests;

public class StepGraphTests
{
    /// <summary>Every edge of the graph as "Caller -> Callee", with "?" when conditional, "loop" on back edges and the inputs.</summary>
    private static List<string> Edges<T>(string root)
        where T : class =>
        StepGraph.For<T>(root).Nodes
            .SelectMany(n => n.Children)
            .Select(e => $"{e.Source.Name} -> {e.Target.Name}{(e.IsConditional ? " ?" : string.Empty)}{(e.IsBackEdge ? " loop" : string.Empty)}" +
                         (e.Inputs.Count == 0 ? string.Empty : $" <= {string.Join(", ", e.Inputs.Select(i => i.Name))}"))
            .ToList();

    [Test]
    public void For_RecipeWorkflow_HasTheFourCallsOfTheDesign()
    {
        var graph = StepGraph.For<RecipeWorkflow>(nameof(RecipeWorkflow.CreateRecipe));

        Assert.That(graph.Root.Name, Is.EqualTo("CreateRecipe"));
        Assert.That(graph.Root.Children.Select(e => e.Target.Name), Is.EqualTo(new[] { "DraftRecipe", "ImproveRecipe", "ValidateRecipe", "CreateRecipe" }));
        Assert.That(graph.Root.CallsItself, Is.True);
        Assert.That(graph.Root.Children.Select(e => e.IsConditional), Is.EqualTo(new[] { false, false, false, true }));
        var byName = graph.Nodes.ToDictionary(n => n.Name);
        Assert.That(byName["ImproveRecipe"].Inputs.Select(n => n.Name), Is.EqualTo(new[] { "DraftRecipe" }));
        Assert.That(byName["ValidateRecipe"].Inputs.Select(n => n.Name), Is.EqualTo(new[] { "ImproveRecipe" }));
        Assert.That(byName["DraftRecipe"].Inputs, Is.Empty);
        Assert.That(byName["DraftRecipe"].Kind, Is.EqualTo(StepKind.Llm));
        Assert.That(byName["DraftRecipe"].Model, Is.EqualTo("gpt-4o-mini"));
        Assert.That(graph.Root.MaxLoops, Is.EqualTo(3));
    }

    [Test]
    public void For_SameWorkflowAndRoot_IsCached()
    {
        Assert.That(StepGraph.For<RecipeWorkflow>("CreateRecipe"), Is.SameAs(StepGraph.For(typeof(RecipeWorkflow), "CreateRecipe")));
    }

    [Test]
    public void Sequence_NestedCalls_FeedResults()
    {
        Assert.That(Edges<Constructs>("Sequence"), Is.EqualTo(new[] { "Sequence -> Write", "Sequence -> Polish <= Write" }));
    }

    [Test]
    public void AsyncMethod_FollowsTheStateMachineAcrossAwaits()
    {
        Assert.That(Edges<Constructs>("Async"), Is.EqualTo(new[]
        {
            "Async -> WriteAsync",
            "Async -> PolishAsync <= WriteAsync",
            "Async -> Log ?",
        }));
    }

    [Test]
    public void Ternary_BothArmsAreConditional()
    {
        // IL order: the compiler emits the false arm of '?:' first.
        Assert.That(Edges<Constructs>("Ternary"), Is.EqualTo(new[] { "Ternary -> Polish ?", "Ternary -> Write ?" }));
    }

    [Test]
    public void AndAlso_RightSideIsConditional()
    {
        Assert.That(Edges<Constructs>("AndAlso"), Is.EqualTo(new[]
        {
            "AndAlso -> Write",
            "AndAlso -> Check <= Write, Polish",
            "AndAlso -> Polish ?",
        }));
    }

    [Test]
    public void PatternMatching_EveryArmIsConditional()
    {
        Assert.That(Edges<Constructs>("Pattern"), Is.EqualTo(new[] { "Pattern -> Write ?", "Pattern -> Polish ?" }));
    }

    [Test]
    public void Switch_CallInEveryPathIsNot_CallInSomeArmsIs()
    {
        // Write is in two of three arms: the third (case 1) skips it.
        Assert.That(Edges<Constructs>("Switch"), Is.EqualTo(new[] { "Switch -> Log", "Switch -> Write ?", "Switch -> Polish ?" }));
    }

    [Test]
    public void Loops_ForeachBodyMayNotRun_DoWhileBodyAlwaysRuns()
    {
        Assert.That(Edges<Constructs>("Loops"), Is.EqualTo(new[] { "Loops -> Write ?", "Loops -> Log" }));
    }

    [Test]
    public void TryFinally_FinallyAlwaysRuns_CatchOnlyOnError()
    {
        Assert.That(Edges<Constructs>("TryFinally"), Is.EqualTo(new[] { "TryFinally -> Write", "TryFinally -> Log" }));
        var log = StepGraph.For<Constructs>("TryFinally").Root.Children.Single(e => e.Target.Name == "Log");
        Assert.That(log.IsConditional, Is.False, "the finally's call counts; the catch's call does not make it conditional");
    }

    [Test]
    public void AsyncTryFinally_FinallyAlwaysRuns()
    {
        Assert.That(Edges<Constructs>("AsyncTryFinally"), Is.EqualTo(new[] { "AsyncTryFinally -> WriteAsync", "AsyncTryFinally -> Log" }));
    }

    [Test]
    public void Lambda_CallsInsideADelegateAreConditional()
    {
        Assert.That(Edges<Constructs>("Lambda"), Is.EqualTo(new[] { "Lambda -> Write ?" }));
    }

    [Test]
    public void LocalFunction_CallsAreFollowedWithTheirInputs()
    {
        Assert.That(Edges<Constructs>("LocalFunction"), Is.EqualTo(new[] { "LocalFunction -> Write", "LocalFunction -> Polish <= Polish" }));
    }

    [Test]
    public void AsyncLambda_IsFollowedThroughItsStateMachine()
    {
        Assert.That(Edges<Constructs>("AsyncLambda"), Is.EqualTo(new[] { "AsyncLambda -> WriteAsync ?", "AsyncLambda -> PolishAsync ? <= WriteAsync" }));
    }

    [Test]
    public void GenericStep_CalledWithTwoTypeArguments_IsOneNode()
    {
        Assert.That(Edges<Constructs>("CallsGeneric"), Is.EqualTo(new[] { "CallsGeneric -> Generic", "Generic -> Log" }));
    }

    [Test]
    public void Cycle_BetweenTwoSteps_TerminatesWithABackEdge()
    {
        Assert.That(Edges<Cycle>("Ping"), Is.EqualTo(new[] { "Ping -> Pong ?", "Pong -> Ping loop" }));
        var graph = StepGraph.For<Cycle>("Pong");
        Assert.That(graph.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "Pong", "Ping" }));
        Assert.That(graph.Root.CallsItself, Is.False);
    }

    [Test]
    public void BaseClassCalls_RunTheDerivedOverride_AndOtherWorkflowsStepsAreNodes()
    {
        Assert.That(Edges<DerivedWorkflow>("Start"), Is.EqualTo(new[]
        {
            "Start -> Run",
            "Run -> Write",
            "Run -> Review <= Write",
            "Review -> Summarise",
        }));
        var graph = StepGraph.For<DerivedWorkflow>("Start");
        var review = graph.Nodes.Single(n => n.Name == "Review");
        Assert.That(review.Workflow, Is.EqualTo(nameof(DerivedWorkflow)), "the override, not the base method");
        Assert.That(graph.Nodes.Single(n => n.Name == "Summarise").Workflow, Is.EqualTo(nameof(Summaries)));
    }

    [Test]
    public void CallToAnotherWorkflow_FollowsItsSteps()
    {
        Assert.That(Edges<UsesOther>("Delegate"), Is.EqualTo(new[]
        {
            "Delegate -> Sequence",
            "Sequence -> Write",
            "Sequence -> Polish <= Write",
        }));
    }

    [Test]
    public void For_UnknownRoot_ListsTheSteps()
    {
        var e = Assert.Throws<ArgumentException>(() => StepGraph.For<RecipeWorkflow>("Cook"));
        Assert.That(e!.Message, Does.Contain("Workflow 'RecipeWorkflow' has no step named 'Cook'. Its steps: CreateRecipe, DraftRecipe, ImproveRecipe, ValidateRecipe."));
    }

    [Test]
    public void For_MethodThatIsNotAStep_SaysSo()
    {
        var e = Assert.Throws<ArgumentException>(() => StepGraph.For<RecipeWorkflow>(nameof(ToString)));
        Assert.That(e!.Message, Does.Contain("Method 'RecipeWorkflow.ToString' is not a step"));
    }

    [Test]
    public void For_TypeThatIsNotAWorkflow_SaysSo()
    {
        var e = Assert.Throws<ArgumentException>(() => StepGraph.For<NotAWorkflow>("Run"));
        Assert.That(e!.Message, Does.Contain("Type 'NotAWorkflow' is not a workflow: it has no [Step] methods"));
    }
}
