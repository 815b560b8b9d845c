namespace AgentSteps.Tests;

public class ModelResolutionTests
{
    public abstract class Writer
    {
        [Step(Model = "gpt-4o-mini")]
        public abstract string Write(string topic);

        [Step]
        public abstract string WriteWithDefault(string topic);
    }

    private static ScriptedChatClient Client(string reply = "text") => new(reply);

    [Test]
    public void ModelClients_ClientRegisteredForTheModel_Wins()
    {
        var general = Client("general");
        var special = Client("special");
        var options = new RuntimeOptions { ChatClient = general };
        options.ModelClients["gpt-4o-mini"] = special;
        using var runtime = new Runtime(options);

        Assert.That(Steps.Create<Writer>().Write("x"), Is.EqualTo("special"));
        Assert.That(general.Requests, Is.Empty);
    }

    [Test]
    public void ModelAliases_RenameTheModelBeforeTheClientIsChosen()
    {
        var local = Client("local");
        var options = new RuntimeOptions();
        options.ModelAliases["gpt-4o-mini"] = "llama3.2";
        options.ModelClients["llama3.2"] = local;
        using var runtime = new Runtime(options);

        Steps.Create<Writer>().Write("x");

        Assert.That(local.Requests.Single().Options!.ModelId, Is.EqualTo("llama3.2"));
        Assert.That(runtime.ExecutedSteps.Single().Model, Is.EqualTo("llama3.2"));
    }

    [Test]
    public void ModelOverride_ReplacesEveryStepsModel()
    {
        var client = Client();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, ModelOverride = "qwen2.5" });

        Steps.Create<Writer>().Write("x");

        Assert.That(client.Requests.Single().Options!.ModelId, Is.EqualTo("qwen2.5"));
    }

    [Test]
    public void DefaultModel_AppliesToStepsWithoutAModel()
    {
        var client = Client();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, DefaultModel = "gpt-4.1" });

        Steps.Create<Writer>().WriteWithDefault("x");

        Assert.That(client.Requests.Single().Options!.ModelId, Is.EqualTo("gpt-4.1"));
    }

    [Test]
    public void NothingConfigured_ThrowsListingEveryWayToConfigureAModel()
    {
        using var runtime = new Runtime(new RuntimeOptions());

        var e = Assert.Throws<InvalidOperationException>(() => Steps.Create<Writer>().Write("x"));

        Assert.That(e!.Message, Does.Contain("'Writer.Write' needs model 'gpt-4o-mini'")
            .And.Contain("OPENAI_API_KEY").And.Contain("OPENAI_BASE_URL").And.Contain("new Runtime(chatClient)")
            .And.Contain("RuntimeOptions.ModelClients").And.Contain("SampleChatClient"));
    }

    [Test]
    public void Options_AreFrozenByTheFirstRuntime_SoLaterChangesThrow()
    {
        var first = Client("first");
        var options = new RuntimeOptions { ChatClient = first };
        Assert.That(options.IsReadOnly, Is.False);
        using var runtime = new Runtime(options);

        Assert.That(options.IsReadOnly, Is.True);
        Assert.That(() => options.ChatClient = Client("second"), Throws.InvalidOperationException.With.Message.StartWith("Cannot change RuntimeOptions.ChatClient:"));
        Assert.That(() => options.ModelOverride = "changed", Throws.InvalidOperationException.With.Message.StartWith("Cannot change RuntimeOptions.ModelOverride:"));
        Assert.That(() => options.ModelAliases["a"] = "b", Throws.InvalidOperationException.With.Message.StartWith("Cannot change RuntimeOptions.ModelAliases:"));
        Assert.That(() => options.Trace.MaxDepth = 3, Throws.InvalidOperationException.With.Message.StartWith("Cannot change RuntimeOptions.Trace.MaxDepth:"));
        Assert.That(() => options.ModelClients.Add("m", first), Throws.InvalidOperationException);
        Assert.That(() => options.Use((c, next) => next(c)), Throws.InvalidOperationException);
        Assert.That(() => options.Observers.Add(new NullObserver()), Throws.InvalidOperationException);
        Assert.That(() => options.TimeProvider = TimeProvider.System, Throws.InvalidOperationException);

        Assert.That(Steps.Create<Writer>().Write("x"), Is.EqualTo("first"));
        Assert.That(first.Requests.Single().Options!.ModelId, Is.EqualTo("gpt-4o-mini"));
    }

    [Test]
    public void FromEnvironment_NothingSet_HasNoClient()
    {
        var options = RuntimeOptions.FromEnvironment(_ => null);
        Assert.That(options.ChatClient, Is.Null);
        Assert.That(options.ModelOverride, Is.Null);
    }

    [Test]
    public void FromEnvironment_BaseUrlAlone_CreatesAnOpenAIClient()
    {
        var options = RuntimeOptions.FromEnvironment(name => name == RuntimeOptions.BaseUrlVariable ? "http://127.0.0.1:11434/v1" : null);
        Assert.That(options.ChatClient?.GetService(typeof(OpenAI.OpenAIClient)), Is.Not.Null);
    }

    [Test]
    public void FromEnvironment_ModelVariable_SetsTheOverride()
    {
        var options = RuntimeOptions.FromEnvironment(name => name == RuntimeOptions.ModelOverrideVariable ? " llama3.2 " : null);
        Assert.That(options.ModelOverride, Is.EqualTo("llama3.2"));
    }

    [Test]
    public void FromEnvironment_BaseUrlThatIsNoUrl_ThrowsNamingTheVariable()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            RuntimeOptions.FromEnvironment(name => name == RuntimeOptions.BaseUrlVariable ? "localhost:11434" : null));
        Assert.That(e!.Message, Does.Contain("OPENAI_BASE_URL is 'localhost:11434'").And.Contain("http://localhost:11434/v1"));
    }

    [Test]
    public void StepAttribute_RejectsNonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { OutputRetries = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { MaxLoops = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { Temperature = -0.1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepAttribute { TopP = 1.5 });
        Assert.That(new StepAttribute().OutputRetries, Is.EqualTo(StepAttribute.DefaultOutputRetries).And.EqualTo(2));
    }

    private sealed class NullObserver : IRunObserver
    {
    }
}
