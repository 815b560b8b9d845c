namespace AgentSteps.Tests;

public class TraceOptionsTests
{
    [Test]
    public void Constructor_Defaults_AreTheDocumentedConstants()
    {
        var options = new TraceOptions();

        Assert.That(
            (options.MaxDepth, options.MaxItems, options.MaxStringLength, options.MaxValueLength),
            Is.EqualTo((TraceOptions.DefaultMaxDepth, TraceOptions.DefaultMaxItems, TraceOptions.DefaultMaxStringLength, TraceOptions.DefaultMaxValueLength)));
        Assert.That((TraceOptions.DefaultMaxDepth, TraceOptions.DefaultMaxItems, TraceOptions.DefaultMaxStringLength, TraceOptions.DefaultMaxValueLength), Is.EqualTo((16, 100, 4_096, 65_536)));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void Setters_ZeroOrNegative_Throw(int value)
    {
        var options = new TraceOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxDepth = value);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxItems = value);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxStringLength = value);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxValueLength = value);
    }

    [Test]
    public void MaxDepth_AboveTheLimit_Throws()
    {
        var options = new TraceOptions { MaxDepth = TraceOptions.MaxDepthLimit };

        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxDepth = TraceOptions.MaxDepthLimit + 1);
        Assert.That(options.MaxDepth, Is.EqualTo(TraceOptions.MaxDepthLimit));
    }

    [Test]
    public void Default_IsReadOnly()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TraceOptions.Default.MaxItems = 5);

        Assert.That(e!.Message, Does.Contain("TraceOptions.Default is read-only"));
        Assert.That(TraceOptions.Default.MaxItems, Is.EqualTo(TraceOptions.DefaultMaxItems));
    }

    [Test]
    public void Clone_CopiesTheCapsSoLaterChangesDoNotReachTheCopy()
    {
        var options = new TraceOptions { MaxDepth = 3, MaxItems = 4, MaxStringLength = 5, MaxValueLength = 6 };

        var copy = options.Clone();
        options.MaxItems = 40;

        Assert.That((copy.MaxDepth, copy.MaxItems, copy.MaxStringLength, copy.MaxValueLength), Is.EqualTo((3, 4, 5, 6)));
        Assert.That(TraceOptions.Default.Clone(), Is.SameAs(TraceOptions.Default));
    }
}
