namespace AgentSteps.Tests.Adversarial;

public class TraceShapeAttackTests
{
#pragma warning disable CA1051 // a public field is what is being tested
    public class WithFields
    {
        public int Count;
        public string? Name;
    }
#pragma warning restore CA1051

    public readonly record struct Point(int X, int Y);

    public abstract class Sink
    {
        [Step]
        public virtual (int Count, string Name) Pair(int count) => (count, "named-" + count);

        [Step]
        public virtual object Take(object value) => value;
    }

    [Test]
    public void ToJson_ValueTupleResult_WritesItsItems()
    {
        using var runtime = new Runtime(new SampleChatClient());
        Steps.Create<Sink>().Pair(41);

        Assert.That(runtime.ToJson(), Does.Contain("named-41"));
        Assert.That(runtime.ExecutedSteps.Single().Result, Is.EqualTo((41, "named-41")));
    }

    [Test]
    public void ToJson_HostileShapes_WriteTheirData()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var sink = Steps.Create<Sink>();

        sink.Take(new WithFields { Count = 7, Name = "field-name" });
        sink.Take(new Point(3, 4));
        sink.Take(Tuple.Create(5, "tuple-item"));
        sink.Take(new { Anonymous = "anon-value" });
        sink.Take(new KeyValuePair<string, int>("pair-key", 9));

        var json = runtime.ToJson();
        Assert.Multiple(() =>
        {
            Assert.That(json, Does.Contain("field-name"));
            Assert.That(json, Does.Contain("tuple-item"));
            Assert.That(json, Does.Contain("anon-value"));
            Assert.That(json, Does.Contain("pair-key"));
        });
        Assert.That(runtime.ExecutedSteps[1].Result, Is.EqualTo(new Point(3, 4)));
    }
}
