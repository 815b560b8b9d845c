namespace AgentSteps.Tests.Adversarial;

public class ModelOutputAttackTests
{
    public enum Color
    {
        Red,
        Blue,
    }

    public record Answer(string Text);

    public record Measure(double Ratio, decimal Price, long Count);

    public record Painted(Color Color);

    public record Tree(string Name, List<List<int>>? Items);

    public abstract class Asker
    {
        [Step(Model = "m"), Description("Answer.")]
        public abstract Answer Ask(string q);

        [Step(Model = "m"), Description("Measure.")]
        public abstract Measure Measure(string q);

        [Step(Model = "m"), Description("Paint.")]
        public abstract Painted Paint(string q);

        [Step(Model = "m"), Description("Grow.")]
        public abstract Tree Grow(string q);

        [Step(Model = "m"), Description("Count.")]
        public abstract int Count(string q);

        [Step(Model = "m"), Description("Say.")]
        public abstract string Say(string q);
    }

    private const string Valid = """{"Text":"ok"}""";

    private static (Runtime Runtime, ScriptedChatClient Client, Asker Asker) Open(params string[] replies)
    {
        var client = new ScriptedChatClient(replies);
        return (new Runtime(client), client, Steps.Create<Asker>());
    }

    [TestCase("""{"Text":"a","Text":"b"}""", TestName = "Ask_DuplicateKeys_IsCorrected")]
    [TestCase("""{"Text":"a" /* c */}""", TestName = "Ask_Comment_IsCorrected")]
    [TestCase("""{"Text":null}""", TestName = "Ask_NullForNonNullableMember_IsCorrected")]
    [TestCase("""{"text":"a"}""", TestName = "Ask_WrongCaseMember_IsCorrected")]
    [TestCase("```json\n{\"Text\":\"a\"}\n```\n```json\n{\"Text\":\"b\"}\n```", TestName = "Ask_TwoFencedBlocks_IsCorrected")]
    [TestCase("```json\n{\"Text\":\"a\"}", TestName = "Ask_UnterminatedFence_IsCorrectedOrParsed")]
    [TestCase("""{"Text":"a"} {"Text":"b"}""", TestName = "Ask_TwoObjects_IsCorrected")]
    [TestCase("""{"Text":"a"}garbage""", TestName = "Ask_TrailingGarbage_IsCorrected")]
    [TestCase("""{'Text':'a'}""", TestName = "Ask_SingleQuotes_IsCorrected")]
    [TestCase("""{"Text":"a",}""", TestName = "Ask_TrailingComma_IsCorrected")]
    public void Ask_InvalidReply_IsCorrectedThenTheValidReplyWins(string bad)
    {
        var (runtime, client, asker) = Open(bad, Valid);
        using (runtime)
        {
            var answer = asker.Ask("q");

            if (bad.StartsWith("```json\n{\"Text\":\"a\"}", StringComparison.Ordinal) && !bad.Contains("```\n```", StringComparison.Ordinal) && client.Requests.Count == 1)
            {
                Assert.That(answer.Text, Is.EqualTo("a"));
                return;
            }

            Assert.That(answer.Text, Is.EqualTo("ok"));
            Assert.That(client.Requests, Has.Count.EqualTo(2));
        }
    }

    [Test]
    public void Ask_ReplyWithBomAndOneFence_IsParsed()
    {
        var (runtime, _, asker) = Open("\uFEFFHere you go:\n```json\n{\"Text\":\"a\"}\n```\nEnjoy");
        using (runtime)
        {
            Assert.That(asker.Ask("q").Text, Is.EqualTo("a"));
        }
    }

    [TestCase("""{"Ratio":1e400,"Price":1,"Count":1}""", TestName = "Measure_DoubleOverflow_IsCorrected")]
    [TestCase("""{"Ratio":NaN,"Price":1,"Count":1}""", TestName = "Measure_NaN_IsCorrected")]
    [TestCase("""{"Ratio":1,"Price":1e30,"Count":1}""", TestName = "Measure_DecimalOverflow_IsCorrected")]
    [TestCase("""{"Ratio":1,"Price":1,"Count":99999999999999999999999999}""", TestName = "Measure_LongOverflow_IsCorrected")]
    [TestCase("""{"Ratio":1,"Price":1,"Count":1.5}""", TestName = "Measure_FractionIntoLong_IsCorrected")]
    [TestCase("""{"Ratio":1,"Price":1,"Count":-0}""", TestName = "Measure_NegativeZeroLong_IsAcceptedOrCorrected")]
    [TestCase("""{"Ratio":1,"Price":1,"Count":1e2}""", TestName = "Measure_ExponentIntoLong_IsAcceptedOrCorrected")]
    [TestCase("""{"Ratio":1,"Price":1,"Count":1,"Extra":true}""", TestName = "Measure_ExtraProperty_IsAcceptedOrCorrected")]
    public void Measure_HostileNumbers_NeverCrashOrSilentlyWrong(string reply)
    {
        var (runtime, client, asker) = Open(reply, """{"Ratio":0.5,"Price":1234567890.123456789,"Count":7}""");
        using (runtime)
        {
            var measure = asker.Measure("q");

            if (client.Requests.Count == 2)
            {
                Assert.That(measure.Price, Is.EqualTo(1234567890.123456789m));
                Assert.That(measure.Count, Is.EqualTo(7));
            }
            else
            {
                Assert.That(double.IsFinite(measure.Ratio), Is.True);
            }
        }
    }

    [Test]
    public void Paint_WrongEnumCase_IsCorrected()
    {
        var (runtime, client, asker) = Open("""{"Color":"red"}""", """{"Color":"Blue"}""");
        using (runtime)
        {
            Assert.That(asker.Paint("q").Color, Is.EqualTo(Color.Blue));
            Assert.That(client.Requests, Has.Count.EqualTo(2));
        }
    }

    [Test]
    public void Grow_DepthBomb_IsAStepOutputExceptionNotACrash()
    {
        var bomb = "{\"Name\":\"n\",\"Items\":" + new string('[', 200_000) + new string(']', 200_000) + "}";
        var (runtime, _, asker) = Open(bomb, bomb, bomb);
        using (runtime)
        {
            var e = Assert.Catch(() => asker.Grow("q"));
            Assert.That(e, Is.InstanceOf<AgentStepsException>(), e!.ToString()[..Math.Min(2000, e.ToString().Length)]);
        }
    }

    [Test]
    public void Ask_TenMegabyteReply_IsRejectedWithoutEchoingIt()
    {
        var huge = "{\"Text\":\"" + new string('z', 10_000_000) + "\"}";
        var (runtime, client, asker) = Open(huge, huge, huge);
        using (runtime)
        {
            var e = Assert.Catch(() => asker.Ask("q"))!;

            Assert.That(e.Message.Length, Is.LessThan(20_000));
            Assert.That(e.ToString().Length, Is.LessThan(100_000));
            Assert.That(runtime.ToJson().Length, Is.LessThan(300_000));
            var sent = client.Requests.Skip(1).SelectMany(r => r.Messages).Sum(m => m.Text.Length);
            Assert.That(sent, Is.LessThan(1_000_000), "corrections do not echo the whole reply");
        }
    }

    [Test]
    public void Ask_LoneSurrogateInString_NeverCrashes()
    {
        var (runtime, _, asker) = Open("{\"Text\":\"\\ud800\"}", Valid, Valid);
        using (runtime)
        {
            Assert.DoesNotThrow(() => asker.Ask("q"));
            Assert.DoesNotThrow(() => runtime.ToJson());
        }
    }

    [TestCase("""{"value":1e400}""")]
    [TestCase("""{"value":2147483648}""")]
    [TestCase("""{"value":"1"}""")]
    [TestCase("""{"value":1.0}""")]
    [TestCase("""{"value":1,"value":2}""")]
    [TestCase("""1""")]
    public void Count_WrappedPrimitiveBadValue_IsCorrected(string bad)
    {
        var (runtime, client, asker) = Open(bad, """{"value":3}""");
        using (runtime)
        {
            var count = asker.Count("q");
            Assert.That(count, Is.EqualTo(3).Or.EqualTo(1), bad);
            if (count == 1)
            {
                Assert.That(bad, Is.EqualTo("1").Or.EqualTo("""{"value":1.0}"""), "only an unambiguous 1 may be accepted");
            }
        }
    }

    [Test]
    public void Say_StringStepWithFencedText_KeepsTheTextAsIs()
    {
        var (runtime, _, asker) = Open("```json\n{\"a\":1}\n```");
        using (runtime)
        {
            Assert.That(asker.Say("q"), Is.EqualTo("```json\n{\"a\":1}\n```"));
        }
    }
}
