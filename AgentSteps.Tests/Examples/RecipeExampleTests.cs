using AgentSteps.Examples.Recipes;

namespace AgentSteps.Tests;

[NonParallelizable]
public class RecipeExampleTests
{
    [Test]
    public void RecipeWorkflow_OnTheSampleModel_LoopsBackOnceThenReturnsARecipe()
    {
        using var runtime = new Runtime(new SampleChatClient());

        var recipe = Steps.Create<RecipeWorkflow>().CreateRecipe("chicken parmesan");

        Assert.That(recipe.Ingredients, Has.Count.EqualTo(2));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[]
        {
            "DraftRecipe", "ImproveRecipe", "ValidateRecipe",
            "DraftRecipe", "ImproveRecipe", "ValidateRecipe", "CreateRecipe",
            "CreateRecipe",
        }));
        var validations = runtime.ExecutedSteps.Where(s => s.Name == "ValidateRecipe").Select(s => (ValidationResult)s.Result!).ToList();
        Assert.That(validations[0].IsValid, Is.False);
        Assert.That(validations[0].Reason, Is.Not.Null.And.Not.Empty, "the first validation says why it failed");
        Assert.That(validations[1], Is.EqualTo(new ValidationResult(true, null)));
        var creates = runtime.ExecutedSteps.Where(s => s.Name == "CreateRecipe").ToList();
        Assert.That(creates.Select(s => s.Loop), Is.EquivalentTo(new[] { 1, 2 }), "CreateRecipe entered twice");
        Assert.That(creates.Single(s => s.Loop == 2).Parent, Is.SameAs(creates.Single(s => s.Loop == 1)), "the loop back is a child of the first attempt");
        Assert.That(runtime.ExecutedSteps.Where(s => s.Kind == StepKind.Llm).Select(s => s.Model), Has.All.EqualTo("gpt-4o-mini"));
    }

    [Test]
    public void RecipeWorkflow_ValidationNeverPasses_StopsAtMaxLoopsWithAnException()
    {
        var client = new ScriptedChatClient();
        const string Recipe = """{"Description":"d","Ingredients":["i"],"Instructions":["s"],"Tips":["t"]}""";
        for (int i = 0; i < 3; i++)
        {
            client.Enqueue(Recipe).Enqueue(Recipe).Enqueue("""{"IsValid":false,"Reason":"too hard"}""");
        }

        using var runtime = new Runtime(client);

        var e = Assert.Throws<MaxLoopsExceededException>(() => Steps.Create<RecipeWorkflow>().CreateRecipe("x"));

        Assert.That(e!.StepName, Is.EqualTo("RecipeWorkflow.CreateRecipe"));
        Assert.That(e.MaxLoops, Is.EqualTo(3));
        Assert.That(client.Requests, Has.Count.EqualTo(9), "three full attempts, then the fourth entry is refused before any model call");
    }

    [Test]
    public void RecipeCommand_WithNoModelConfigured_SaysItUsesTheSampleModelAndPrintsTheTree()
    {
        var saved = (Environment.GetEnvironmentVariable(RuntimeOptions.ApiKeyVariable), Environment.GetEnvironmentVariable(RuntimeOptions.BaseUrlVariable));
        Environment.SetEnvironmentVariable(RuntimeOptions.ApiKeyVariable, null);
        Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, null);
        try
        {
            using var output = new StringWriter();
            int exitCode = RecipeCommand.Run("chicken parmesan", output);

            var text = output.ToString();
            Assert.That(exitCode, Is.Zero);
            Assert.That(text, Does.StartWith("No model configured: using the offline sample model"));
            Assert.That(text, Does.Contain("its first validation says the recipe is invalid"));
            Assert.That(text, Does.Contain("Ingredients:").And.Contain("CreateRecipe #1").And.Contain("ValidateRecipe #1").And.Contain("gpt-4o-mini"));
            Assert.That(text, Does.Contain("CreateRecipe #2").And.Contain("└─ ValidateRecipe #2"), "one loop back");
        }
        finally
        {
            Environment.SetEnvironmentVariable(RuntimeOptions.ApiKeyVariable, saved.Item1);
            Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, saved.Item2);
        }
    }
}

public class GuideSnippetTests
{
    [Test]
    public async Task ReviewWorkflow_FromTheGuide_IsAValidWorkflow()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var reviews = Steps.Create<AgentSteps.Examples.Snippets.ReviewWorkflow>();

        Assert.That(reviews.Classify("great"), Is.EqualTo(AgentSteps.Examples.Snippets.Sentiment.Negative), "the sample model picks the first enum value");
        var review = await reviews.ReviewAsync("kettle", "family");
        Assert.That(review.Stars, Is.EqualTo(1));
        Assert.That(reviews.Poem("tea"), Does.StartWith("Sample reply to: tea"));
    }
}

public class GraphCommandTests
{
    [Test]
    public void GraphCommand_WritesDotMermaidAndPng()
    {
        var directory = Directory.CreateTempSubdirectory("agentsteps-graph-").FullName;
        try
        {
            using var output = new StringWriter();
            Assert.That(AgentSteps.Examples.Graph.GraphCommand.Run(directory, output), Is.Zero);

            Assert.That(File.ReadAllText(Path.Combine(directory, "recipe-graph.dot")), Does.StartWith("digraph"));
            Assert.That(File.ReadAllText(Path.Combine(directory, "recipe-graph.mmd")), Does.StartWith("flowchart TD"));
            Assert.That(new FileInfo(Path.Combine(directory, "recipe-graph.png")).Length, Is.GreaterThan(1000));
            Assert.That(output.ToString(), Does.Contain("CreateRecipe -> ImproveRecipe (given the result of DraftRecipe)"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
