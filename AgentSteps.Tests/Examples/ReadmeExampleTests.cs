using System.Reflection;

namespace AgentSteps.Tests;

/// <summary>
/// README's example, built as its own console app (AgentSteps.Examples/Snippets/Readme), runs as the README says: on the
/// model that OPENAI_BASE_URL names, and with nothing configured it fails with the error that says how to configure one.
/// </summary>
[NonParallelizable]
public class ReadmeExampleTests
{
    private const string RecipeJson = """{"Description":"Crisp chicken","Ingredients":["chicken","parmesan"],"Instructions":["Bread","Bake"],"Tips":["Rest it"]}""";
    private static readonly string[] s_variables = [RuntimeOptions.ApiKeyVariable, RuntimeOptions.BaseUrlVariable, RuntimeOptions.ModelOverrideVariable];
    private readonly Dictionary<string, string?> _saved = [];

    [SetUp]
    public void SaveEnvironment()
    {
        foreach (var name in s_variables)
        {
            _saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [TearDown]
    public void RestoreEnvironment()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    [Test]
    public async Task ReadmeProgram_WithABaseUrl_RunsTheWorkflowAndPrintsTheTree()
    {
        await using var server = await OpenAIWireServer.StartAsync();
        server.ReplyContent(RecipeJson).ReplyContent(RecipeJson).ReplyContent("""{"IsValid":true,"Reason":null}""");
        Environment.SetEnvironmentVariable(RuntimeOptions.BaseUrlVariable, server.BaseUrl);

        var output = RunReadmeProgram();

        Assert.That(output, Does.Contain("Bread").And.Contain("Bake"));
        Assert.That(output, Does.Contain("CreateRecipe #1").And.Contain("DraftRecipe #1").And.Contain("ValidateRecipe #1"));
        Assert.That(server.Requests, Has.Count.EqualTo(3));
    }

    [Test]
    public void ReadmeProgram_WithNothingConfigured_ThrowsSayingHowToConfigureAModel()
    {
        var e = Assert.Throws<TargetInvocationException>(() => RunReadmeProgram());

        Assert.That(e!.InnerException, Is.TypeOf<InvalidOperationException>());
        Assert.That(e.InnerException!.Message, Does.Contain(RuntimeOptions.ApiKeyVariable).And.Contain("SampleChatClient"));
    }

    private static string RunReadmeProgram()
    {
        var path = Path.Combine(RepositoryRoot.Path, "AgentSteps.Examples", "Snippets", "Readme", "bin", RepositoryRoot.Configuration, "net10.0", "ReadmeExample.dll");
        var entryPoint = Assembly.LoadFrom(path).EntryPoint!;
        var saved = Console.Out;
        using var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            entryPoint.Invoke(null, [Array.Empty<string>()]);
        }
        finally
        {
            Console.SetOut(saved);
        }

        return output.ToString();
    }
}
