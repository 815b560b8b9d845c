namespace AgentSteps.Diagnostics;

/// <summary>
/// An object or dictionary in a snapshot: names and values side by side. The names of an object's members are shared
/// by every snapshot of its type, so a snapshot costs one array of values.
/// </summary>
/// <remarks>
/// A snapshot tree holds only: <see langword="null"/>, strings (capped, or notes), immutable leaves as they were
/// (numbers, enums, dates...), <c>object?[]</c> for arrays, and <see cref="TraceObject"/>. It is never
/// changed once built, so it may be read from any thread.
/// </remarks>
internal sealed class TraceObject(string[] names, object?[] values)
{
    public string[] Names { get; } = names;

    public object?[] Values { get; } = values;
}
