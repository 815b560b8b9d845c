namespace AgentSteps.Tests.Adversarial;

public class StepNameAttackTests
{
    public static class Billing
    {
        public record Item(int Cents);
    }

    public static class Shipping
    {
        public record Item(int Grams);
    }

    public abstract class Overloads
    {
        [Step]
        public virtual int Go(Billing.Item item) => item.Cents;

        [Step]
        public virtual int Go(Shipping.Item item) => item.Grams;
    }

    [Test]
    public void Name_OverloadsWhoseParameterTypesShareASimpleName_AreDistinct()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var workflow = Steps.Create<Overloads>();

        workflow.Go(new Billing.Item(1));
        workflow.Go(new Shipping.Item(2));

        var names = runtime.ExecutedSteps.Select(s => s.Name).ToArray();
        Assert.That(names, Is.Unique, "overloaded steps get distinct names in the trace, spans, graph and errors");
        Assert.That(runtime.ExecutedSteps.Select(s => s.Key), Is.EquivalentTo(names.Select(n => n + ":1")), "each overload counts its own calls");
        Assert.That(names.Select(n => StepGraph.For<Overloads>(n).Root.Name), Is.EqualTo(names), "the graph finds each overload by the name the trace gives it");
    }
}
