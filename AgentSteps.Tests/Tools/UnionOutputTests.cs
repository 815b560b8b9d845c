using System.Text.Json.Serialization;

namespace AgentSteps.Tests.Tools;

public class UnionOutputTests
{
    public record Ticket(string Subject, string Body);

    [JsonDerivedType(typeof(Escalate))]
    [JsonDerivedType(typeof(Answer))]
    public abstract record TicketDecision;

    [Description("Hand the ticket to a team.")]
    public sealed record Escalate(string Team, string Reason) : TicketDecision;

    public sealed record Answer([property: System.ComponentModel.DataAnnotations.StringLength(20)] string Text) : TicketDecision;

    // Variants found as the non-abstract subtypes in the assembly (no [JsonDerivedType]).
    public abstract class Shape;

    public sealed class Circle : Shape
    {
        public double Radius { get; set; }
    }

    public sealed class Square : Shape
    {
        public double Side { get; set; }
    }

    public abstract class Support
    {
        [Step, Description("Looks up the customer's plan.")]
        public virtual string LookUpPlan(string customer) => "gold";

        [Step(Model = "m"), Description("Decide what to do with a support ticket.")]
        public abstract Task<TicketDecision> TriageAsync(Ticket ticket);

        [Step(Model = "m", Tools = [nameof(LookUpPlan)]), Description("Decide, after looking up the plan.")]
        public abstract TicketDecision TriageWithTools(Ticket ticket);

        [Step(Model = "m"), Description("Draw a shape.")]
        public abstract Shape Draw(string what);
    }

    private static readonly Ticket SampleTicket = new("Refund", "Please refund me.");

    [TestCase("Escalate", """{"Team":"billing","Reason":"refund"}""", typeof(Escalate))]
    [TestCase("Answer", """{"Text":"Done."}""", typeof(Answer))]
    public async Task Union_IsAnsweredByEachVariant_ThroughItsOutputTool(string tool, string json, Type expected)
    {
        var client = new ScriptedChatClient().EnqueueToolCall(tool, json);
        using var runtime = new Runtime(client);
        var decision = await Steps.Create<Support>().TriageAsync(SampleTicket);

        Assert.That(decision, Is.InstanceOf(expected));
        var options = client.Requests[0].Options!;
        Assert.Multiple(() =>
        {
            Assert.That(options.ToolMode, Is.EqualTo(ChatToolMode.RequireAny), "the provider is asked to call a tool");
            Assert.That(options.ResponseFormat, Is.Null);
            Assert.That(options.Tools!.Select(t => t.Name), Is.EqualTo(new[] { "Escalate", "Answer" }));
            Assert.That(options.Tools!.OfType<AIFunctionDeclaration>().First().Description, Does.Contain("Hand the ticket to a team."));
            Assert.That(runtime.ExecutedSteps.Single().Result, Is.InstanceOf(expected));
        });
        if (decision is Escalate escalate)
        {
            Assert.That(escalate, Is.EqualTo(new Escalate("billing", "refund")));
        }
    }

    [Test]
    public async Task TextReply_IsCorrected_ToCallAnOutputTool()
    {
        var client = new ScriptedChatClient("I would escalate it.").EnqueueToolCall("Answer", """{"Text":"ok"}""");
        using var runtime = new Runtime(client);
        var decision = await Steps.Create<Support>().TriageAsync(SampleTicket);

        Assert.That(decision, Is.EqualTo(new Answer("ok")));
        Assert.That(client.Requests[1].LastMessage, Does.Contain("Escalate, Answer"));
    }

    [Test]
    public async Task TwoVariantsInOneReply_AreCorrected_WithAResultForEachCall()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("Answer", """{"Text":"ok"}"""), ("Escalate", """{"Team":"a","Reason":"b"}"""))
            .EnqueueToolCall("Answer", """{"Text":"fine"}""");
        using var runtime = new Runtime(client);
        var decision = await Steps.Create<Support>().TriageAsync(SampleTicket);

        Assert.That(decision, Is.EqualTo(new Answer("fine")));
        var results = client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().ToList();
        Assert.That(results, Has.Count.EqualTo(2));
        Assert.That(results.Select(r => (string)r.Result!), Has.All.Contain("exactly one"));
    }

    [Test]
    public async Task InvalidVariant_IsCorrected_AsAToolResultWithTheErrors()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCall("Answer", """{"Text":"this answer is far too long to pass"}""")
            .EnqueueToolCall("Answer", """{"Text":"short"}""");
        using var runtime = new Runtime(client);
        var decision = await Steps.Create<Support>().TriageAsync(SampleTicket);

        Assert.That(decision, Is.EqualTo(new Answer("short")));
        var result = (string)client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result!;
        Assert.That(result, Does.Contain("Text"));
    }

    [Test]
    public void UnionThatNeverAnswers_FailsAfterOutputRetries_WithTheRawReply()
    {
        var client = new ScriptedChatClient("no", "still no", "never");
        using var runtime = new Runtime(client);
        var e = Assert.ThrowsAsync<StepOutputException>(() => Steps.Create<Support>().TriageAsync(SampleTicket));
        Assert.That(e!.RawReply, Is.EqualTo("never"));
        Assert.That(e.Attempts, Is.EqualTo(3));
    }

    [Test]
    public void ToolsAndUnion_Combine_TheModelCallsAToolThenAnswersWithAVariant()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCall("LookUpPlan", """{"customer":"ada"}""")
            .EnqueueToolCall("Escalate", """{"Team":"gold","Reason":"plan"}""");
        using var runtime = new Runtime(client);
        var decision = Steps.Create<Support>().TriageWithTools(SampleTicket);

        Assert.That(decision, Is.EqualTo(new Escalate("gold", "plan")));
        Assert.That(client.Requests[0].Options!.Tools!.Select(t => t.Name), Is.EqualTo(new[] { "LookUpPlan", "Escalate", "Answer" }));
        Assert.That(runtime.ExecutedSteps.Single(s => s.Name == "LookUpPlan").Parent!.Name, Is.EqualTo("TriageWithTools"));
    }

    [Test]
    public void AnswerWithOtherCallsInTheReply_EndsTheStep_AndEveryCallHasAResultInMessages()
    {
        var client = new ScriptedChatClient()
            .EnqueueToolCalls(("LookUpPlan", """{"customer":"ada"}"""), ("Answer", """{"Text":"ok"}"""));
        using var runtime = new Runtime(client);
        var decision = Steps.Create<Support>().TriageWithTools(SampleTicket);

        Assert.That(decision, Is.EqualTo(new Answer("ok")));
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Is.EqualTo(new[] { "TriageWithTools" }), "the other call did not run");
        var messages = runtime.ExecutedSteps.Single().Messages;
        var callIds = messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.CallId).ToList();
        var resultIds = messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Select(r => r.CallId).ToList();
        Assert.That(resultIds, Is.EqualTo(callIds));
    }

    [Test]
    public void VariantsWithoutAttributes_AreTheNonAbstractSubtypesInTheAssembly()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("Square", """{"Side":2}""");
        using var runtime = new Runtime(client);
        var shape = Steps.Create<Support>().Draw("a square");

        Assert.That(shape, Is.InstanceOf<Square>());
        Assert.That(((Square)shape).Side, Is.EqualTo(2));
        Assert.That(client.Requests[0].Options!.Tools!.Select(t => t.Name), Is.EquivalentTo(new[] { "Circle", "Square" }));
    }

    [Test]
    public void SampleChatClient_AnswersAUnion_WithOneOfItsVariants()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var decision = Steps.Create<Support>().TriageWithTools(SampleTicket);

        Assert.That(decision, Is.InstanceOf<Escalate>().Or.InstanceOf<Answer>());
        Assert.That(runtime.ExecutedSteps.Select(s => s.Name), Does.Contain("LookUpPlan"), "the sample model calls each offered tool once first");
    }

    [JsonDerivedType(typeof(Skip))]
    [JsonDerivedType(typeof(Reply))]
    public abstract record Choice;

    public sealed record Skip : Choice;

    public sealed record Reply(string Text) : Choice;

    public abstract class Chooser
    {
        [Step(Model = "m")]
        public abstract Choice Choose(string input);
    }

    [Test]
    public void VariantWithNoProperties_IsAnEmptyOutputTool()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("Skip", "{}");
        using var runtime = new Runtime(client);
        Assert.That(Steps.Create<Chooser>().Choose("x"), Is.InstanceOf<Skip>());
    }

    [Test]
    public void UnknownToolInAUnionStep_IsAnsweredWithTheToolsAndTheAnswerTools()
    {
        var client = new ScriptedChatClient().EnqueueToolCall("Escalat", "{}").EnqueueToolCall("Answer", """{"Text":"ok"}""");
        using var runtime = new Runtime(client);
        Steps.Create<Support>().TriageWithTools(SampleTicket);

        var result = (string)client.Requests[1].Messages.Single(m => m.Role == ChatRole.Tool).Contents.OfType<FunctionResultContent>().Single().Result!;
        Assert.That(result, Does.Contain("LookUpPlan").And.Contain("to answer, Escalate, Answer"));
    }

    // Definition errors.
    public abstract record NoVariants;

    public abstract class UnionWithoutVariants
    {
        [Step(Model = "m")]
        public abstract NoVariants Decide(string input);
    }

    [JsonDerivedType(typeof(Untyped))]
    public abstract record BadVariants;

    public sealed record Untyped(object Anything) : BadVariants;

    public abstract class UnionWithBadVariant
    {
        [Step(Model = "m")]
        public abstract BadVariants Decide(string input);
    }

    [Test]
    public void UnionWithNoConcreteVariant_FailsAtCreate_NamingIt()
    {
        var e = Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<UnionWithoutVariants>());
        Assert.That(e!.Message, Does.Contain("Decide").And.Contain("NoVariants").And.Contain("no concrete variant"));
    }

    [Test]
    public void UnionWithAVariantStrictModeCannotExpress_FailsAtCreate_NamingTheVariant()
    {
        var e = Assert.Throws<WorkflowDefinitionException>(() => Steps.Create<UnionWithBadVariant>());
        Assert.That(e!.Message, Does.Contain("Decide").And.Contain("Untyped"));
    }
}
