namespace AgentSteps.Tests;

public class StepTraceOptionsTests
{
    [Test]
    public void Constructor_Defaults_AreTheDocumentedConstants()
    {
        var options = new StepTraceOptions();

        Assert.That(
            (options.MaxDepth, options.MaxItems, options.MaxStringLength, options.MaxValueLength),
            Is.EqualTo((StepTraceOptions.DefaultMaxDepth, StepTraceOptions.DefaultMaxItems, StepTraceOptions.DefaultMaxStringLength, StepTraceOptions.DefaultMaxValueLength)));
        Assert.That((StepTraceOptions.DefaultMaxDepth, StepTraceOptions.DefaultMaxItems, StepTraceOptions.DefaultMaxStringLength, StepTraceOptions.DefaultMaxValueLength), Is.EqualTo((16, 100, 4_096, 65_536)));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void Setters_ZeroOrNegative_Throw(int value)
    {
        var options = new StepTraceOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxDepth = value);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxItems = value);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxStringLength = value);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxValueLength = value);
    }

    [Test]
    public void MaxDepth_AboveTheLimit_Throws()
    {
        var options = new StepTraceOptions { MaxDepth = StepTraceOptions.MaxDepthLimit };

        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxDepth = StepTraceOptions.MaxDepthLimit + 1);
        Assert.That(options.MaxDepth, Is.EqualTo(StepTraceOptions.MaxDepthLimit));
    }

    [Test]
    public void Default_IsReadOnly()
    {
        var e = Assert.Throws<InvalidOperationException>(() => StepTraceOptions.Default.MaxItems = 5);

        Assert.That(e!.Message, Does.Contain("StepTraceOptions"));
        Assert.That(StepTraceOptions.Default.MaxItems, Is.EqualTo(StepTraceOptions.DefaultMaxItems));
    }

    [Test]
    public void RuntimeOptionsTrace_IsFrozenWithTheOptions()
    {
        var options = new RuntimeOptions();
        options.Trace.MaxItems = 4;
        using (new Runtime(options))
        {
        }

        Assert.Throws<InvalidOperationException>(() => options.Trace.MaxItems = 40);
        Assert.That(options.Trace.MaxItems, Is.EqualTo(4));
    }
}
