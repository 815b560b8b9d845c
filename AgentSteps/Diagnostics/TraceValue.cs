namespace AgentSteps.Diagnostics;

/// <summary>
/// A snapshot of a mutable value (an object, collection, dictionary or JSON token) taken when the step saw it: a
/// capped, scrubbed tree (see <see cref="TraceObject"/>), the value's type, and whether the tree holds all of it.
/// </summary>
internal sealed class TraceValue(object? tree, Type type, bool complete)
{
    /// <summary>Gets the snapshot tree; never changed once taken, so it may be read from any thread.</summary>
    public object? Tree { get; } = tree;

    /// <summary>Gets the type of the value that was captured.</summary>
    public Type Type { get; } = type;

    /// <summary>Gets a value indicating whether nothing was capped, scrubbed, cut at a cycle or replaced by a note.</summary>
    public bool Complete { get; } = complete;

    public override string ToString() => TraceWalker.ToToken(Tree, StepTraceOptions.Default).ToString(Newtonsoft.Json.Formatting.None);
}
