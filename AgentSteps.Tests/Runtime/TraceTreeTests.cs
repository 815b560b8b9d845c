using System.ComponentModel;

namespace AgentSteps.Tests;

public class TraceTreeTests
{
    public record Verdict(bool Ok);

    public abstract class Checker
    {
        [Step(Model = "gpt-4o-mini"), Description("Check it.")]
        public abstract Verdict Check(string text);
    }

    [Test]
    public void FormatTree_OnTheSampleModel_SaysTheSampleAnswered()
    {
        using var runtime = new Runtime(new SampleChatClient());

        Steps.Create<Checker>().Check("x");

        var step = runtime.ExecutedSteps.Single();
        Assert.That(step.Model, Is.EqualTo("gpt-4o-mini"));
        Assert.That(step.ResponseModel, Does.StartWith("sample"));
        Assert.That(runtime.FormatTree(), Does.Contain("sample (for gpt-4o-mini)").And.Not.Contain("tokens"));
    }

    [Test]
    public void FormatTree_WhenTheProviderNamesTheRequestedModel_ShowsItOnce()
    {
        var client = new ScriptedChatClient().Enqueue(_ => new Microsoft.Extensions.AI.ChatResponse(
            new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, """{"Ok":true}""")) { ModelId = "gpt-4o-mini" });
        using var runtime = new Runtime(client);

        Steps.Create<Checker>().Check("x");

        Assert.That(runtime.FormatTree(), Does.Contain("ms, gpt-4o-mini)"));
    }
}
