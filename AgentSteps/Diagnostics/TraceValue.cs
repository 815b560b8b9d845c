using Newtonsoft.Json.Linq;

namespace AgentSteps.Diagnostics;

/// <summary>
/// A snapshot of a mutable value (an object, collection, dictionary or JSON token) taken when the step saw it: a
/// capped, scrubbed JSON tree, the value's type, and whether the tree holds all of it.
/// </summary>
internal sealed class TraceValue(JToken token, Type type, bool complete)
{
    /// <summary>Gets the snapshot; never modified once taken, so it may be read from any thread.</summary>
    public JToken Token { get; } = token;

    /// <summary>Gets the type of the value that was captured.</summary>
    public Type Type { get; } = type;

    /// <summary>Gets a value indicating whether nothing was capped, scrubbed, cut at a cycle or replaced by a note.</summary>
    public bool Complete { get; } = complete;

    public override string ToString() => Token.ToString(Newtonsoft.Json.Formatting.None);
}
