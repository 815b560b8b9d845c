using System.ComponentModel;

namespace AgentSteps.Tests;

public class TraceTreeTests
{
    public record Verdict(bool Ok);

    public record Basket(List<string> Items);

    public abstract class Terse
    {
        [Step(Model = "gpt-4o-mini", MaxReplyLength = 10_000), Description("Answer.")]
        public abstract Verdict Judge(string text);
    }

    public abstract class Promptless
    {
        [Step(Model = "gpt-4o-mini")]
        public abstract Verdict Judge(string text);
    }

    public abstract class Shopper
    {
        [Step(Model = "gpt-4o-mini"), Description("Fill the basket.")]
        public abstract Basket Fill(string list);

        [Step]
        public virtual int Count(Basket basket) => basket.Items.Count;
    }

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
        var json = Newtonsoft.Json.Linq.JObject.Parse(runtime.ToJson())["steps"]![0]!;
        Assert.That((string?)json["key"], Is.EqualTo("Check:1"));
        Assert.That((string?)json["model"], Is.EqualTo("gpt-4o-mini"));
        Assert.That((string?)json["responseModel"], Is.EqualTo("sample (for gpt-4o-mini)"));
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

    [Test]
    public void Result_OfAnLlmStep_IsWhatTheModelReplied_EvenAfterTheCallerChangesIt()
    {
        using var runtime = new Runtime(new ScriptedChatClient("""{"Items":["eggs","milk"]}"""));
        var shopper = Steps.Create<Shopper>();

        var basket = shopper.Fill("breakfast");
        basket.Items.Add("chocolate");
        shopper.Count(basket);

        var fill = runtime.ExecutedSteps.Single(s => s.Name == "Fill");
        Assert.That(fill.Result, Is.InstanceOf<Basket>());
        Assert.That(((Basket)fill.Result!).Items, Is.EqualTo(new[] { "eggs", "milk" }));
        Assert.That(fill.Result, Is.Not.SameAs(basket));
        var count = runtime.ExecutedSteps.Single(s => s.Name == "Count");
        Assert.That(((Basket)count.Arguments["basket"]!).Items, Is.EqualTo(new[] { "eggs", "milk", "chocolate" }));
        Assert.That(runtime.ToJson(), Does.Contain("\"eggs\"").And.Contain("\"chocolate\""));
        Assert.That(Newtonsoft.Json.Linq.JObject.Parse(runtime.ToJson())["steps"]![0]!["result"]!["Items"]!.ToObject<string[]>(), Is.EqualTo(new[] { "eggs", "milk" }));
    }

    [Test]
    public void Result_OfAnLlmStepThatMiddlewareReplaced_IsWhatTheStepReturned()
    {
        var options = new RuntimeOptions { ChatClient = new ScriptedChatClient("""{"Items":["eggs"]}""") };
        options.Use(async (context, next) =>
        {
            await next(context);
            return new Basket(["from cache"]);
        });
        using var runtime = new Runtime(options);

        Steps.Create<Shopper>().Fill("x");

        Assert.That(((Basket)runtime.ExecutedSteps.Single().Result!).Items, Is.EqualTo(new[] { "from cache" }));
    }

    [Test]
    public void Log_OfAReplyWithoutUsage_SaysNoneWasReported()
    {
        var lines = new List<string>();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient("""{"Ok":true}"""), Log = lines.Add });

        Steps.Create<Checker>().Check("x");

        Assert.That(lines, Has.Some.Contain("Checker.Check <- gpt-4o-mini (call 1, no usage reported)"));
        Assert.That(lines, Has.None.Contain("0 in / 0 out tokens"));
    }

    [Test]
    public void Log_OfAnLlmStepWithoutASystemPrompt_WarnsOnce()
    {
        var lines = new List<string>();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new SampleChatClient(), Log = lines.Add });
        var workflow = Steps.Create<Promptless>();

        workflow.Judge("a");
        workflow.Judge("b");

        Assert.That(lines.Count(l => l.Contains("Promptless.Judge has no system prompt: give it a [Description]", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public void Messages_OfAReplyOverMaxReplyLength_KeepOnlyItsStartAndEnd()
    {
        var huge = "{\"Ok\":\"" + new string('x', 200_000) + "\"}";
        using var runtime = new Runtime(new ScriptedChatClient(huge));

        var e = Assert.Throws<StepOutputException>(() => Steps.Create<Terse>().Judge("x"));

        Assert.That(e!.RawReply, Is.EqualTo(huge), "the exception carries the whole reply");
        var kept = runtime.ExecutedSteps.Single().Messages[^1].Text;
        Assert.That(kept.Length, Is.LessThan(5_000), "the trace does not keep a reply the step refused for its size");
        Assert.That(kept, Does.StartWith("{\"Ok\":\"xxx").And.EndWith("xxx\"}"));
    }
}
