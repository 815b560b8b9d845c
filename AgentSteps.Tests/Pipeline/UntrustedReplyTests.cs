using Microsoft.Extensions.AI;

namespace AgentSteps.Tests;

/// <summary>Model output is untrusted: every bad reply is a correction or a typed error, never a crash or a wrong value.</summary>
public class UntrustedReplyTests
{
    public record Invoice(decimal Total);

    public enum Category
    {
        Billing,
        Other,
    }

    public record Ticket(string Subject, Category Category);

    public abstract class Office
    {
        [Step(Model = "gpt-4o-mini")]
        public abstract Invoice Bill(string text);

        [Step(Model = "gpt-4o-mini", MaxReplyLength = 1000)]
        public abstract Invoice BillShort(string text);

        [Step(Model = "gpt-4o-mini")]
        [Prompt("Route {subject} filed under {category}")]
        public abstract string Route(string subject, Category category);
    }

    public abstract class Pairs
    {
        [Step(Model = "gpt-4o-mini")]
        public abstract (int Count, string Name) Pair(string text);
    }

    public class Summary
    {
        public Summary(string text) => Title = text;

        public string Title { get; }
    }

    public abstract class Summaries
    {
        [Step(Model = "gpt-4o-mini")]
        public abstract Summary Summarise(string text);
    }

    [Test]
    public void StepsCreate_TupleOutput_IsRejectedNamingTheStepAndTheFix()
    {
        var e = Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<Pairs>());
        Assert.That(e!.Message, Does.Contain("Pairs.Pair").And.Contain("tuple").And.Contain("record"));
    }

    [Test]
    public void StepsCreate_OutputPropertyAReplyCannotSet_IsRejectedNamingTheMember()
    {
        var e = Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<Summaries>());
        Assert.That(e!.Message, Does.Contain("'Summary.Title'").And.Contain("constructor takes text"));
    }

    [Test]
    public void LlmStep_NumberOutOfRange_IsCorrectedThenFailsWithTheRawReply()
    {
        var client = new ScriptedChatClient("""{"Total":1e30}""", """{"Total":1e30}""", """{"Total":1e31}""");
        using var runtime = new Runtime(client);

        var e = Assert.Throws<StepOutputException>(() => Steps.Create<Office>().Bill("x"));

        Assert.That(e!.RawReply, Is.EqualTo("""{"Total":1e31}"""));
        Assert.That(e.Errors, Is.EqualTo(new[] { "$.Total: the number is out of range for a decimal (at most ±79228162514264337593543950335)" }));
        Assert.That(client.Requests, Has.Count.EqualTo(3));
        Assert.That(client.Requests[1].LastMessage, Does.Contain("$.Total: the number is out of range for a decimal"));
    }

    [Test]
    public void LlmStep_OneFencedBlockWithProseAndABom_IsReadWithoutACorrection()
    {
        var client = new ScriptedChatClient("\uFEFFSure! Here is the invoice:\n```json\n{\"Total\":3.5}\n```\nAnything else?");
        using var runtime = new Runtime(client);

        Assert.That(Steps.Create<Office>().Bill("x").Total, Is.EqualTo(3.5m));
        Assert.That(client.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void LlmStep_DecimalReply_IsExact()
    {
        using var runtime = new Runtime(new ScriptedChatClient("""{"Total":1234567890.123456789}"""));
        Assert.That(Steps.Create<Office>().Bill("x").Total, Is.EqualTo(1234567890.123456789m));
    }

    [Test]
    public void LlmStep_ReplyOverMaxReplyLength_FailsAtOnceWithoutAskingAgain()
    {
        var huge = """{"Total":1,"x":" """ + new string('a', 5000) + "\"}";
        var client = new ScriptedChatClient(huge, """{"Total":1}""");
        using var runtime = new Runtime(client);

        var e = Assert.Throws<StepOutputException>(() => Steps.Create<Office>().BillShort("x"));

        Assert.That(client.Requests, Has.Count.EqualTo(1));
        Assert.That(e!.Errors.Single(), Does.Contain("MaxReplyLength of 1,000"));
        Assert.That(e.RawReply, Is.SameAs(huge));
    }

    [Test]
    public void LlmStep_LargeInvalidReply_IsEchoedCappedInTheCorrection()
    {
        var large = "{\"Total\": \"" + new string('9', 200_000) + "\"}";
        var client = new ScriptedChatClient(large, """{"Total":2}""");
        using var runtime = new Runtime(client);

        Assert.That(Steps.Create<Office>().Bill("x").Total, Is.EqualTo(2m));

        var echoed = client.Requests[1].Messages[^2];
        Assert.That(echoed.Role, Is.EqualTo(ChatRole.Assistant));
        Assert.That(echoed.Text.Length, Is.LessThan(5000));
        Assert.That(echoed.Text, Does.Contain("characters left out"));
        Assert.That(client.Requests[1].LastMessage.Length, Is.LessThan(2000));
    }

    [Test]
    public void LlmStep_ClientReturnsNullResponse_ThrowsStepModelException()
    {
        var client = new ScriptedChatClient().Enqueue(_ => null!);
        using var runtime = new Runtime(client);

        var e = Assert.Throws<StepModelException>(() => Steps.Create<Office>().Bill("x"));
        Assert.That(e!.Message, Does.Contain("no response"));
    }

    [Test]
    public void LlmStep_ProviderErrorEchoingTheKey_IsRedactedInMessageAndInnerException()
    {
        var client = new ScriptedChatClient().Enqueue(_ => throw new HttpRequestException(
            "401: invalid request; headers were Authorization: Bearer sk-proj-abcdefghijklmnop0123 and key sk-abcdefghijklmnop4567"));
        using var runtime = new Runtime(client);

        var e = Assert.Throws<StepModelException>(() => Steps.Create<Office>().Bill("x"));

        Assert.That(e!.Message, Does.Not.Contain("abcdefghijklmnop").And.Contain("***"));
        Assert.That(e.ToString(), Does.Not.Contain("abcdefghijklmnop"), "loggers print the whole chain");
    }

    [Test]
    public void LlmStep_InvalidReplyLogWithoutSensitiveData_HoldsNothingFromTheReply()
    {
        var logger = new ListLogger();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = new ScriptedChatClient("""{"Total":1,"CustomerSsn":"123"}""", """{"Total":1}"""), Logger = logger });

        Steps.Create<Office>().Bill("x");

        var invalid = logger.Entries.Single(e => e.EventId.Name == "InvalidReply");
        Assert.That(invalid.Message, Does.Not.Contain("CustomerSsn"));
        Assert.That(invalid.Message, Does.Contain("1 error(s)"));
    }

    [Test]
    public void LlmStep_PromptPlaceholders_RenderStringsAndEnumsBare()
    {
        var client = new ScriptedChatClient("ok");
        using var runtime = new Runtime(client);

        Steps.Create<Office>().Route("Refund", Category.Other);

        Assert.That(client.Requests[0].LastMessage, Is.EqualTo("Route Refund filed under Other"));
    }
}
