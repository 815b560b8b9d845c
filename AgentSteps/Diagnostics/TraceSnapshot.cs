using AgentSteps.StructuredOutput;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Diagnostics;

/// <summary>
/// Takes the trace's snapshots of arguments and results, at record time, and turns them back into typed values or
/// JSON. A snapshot is one of three things: an immutable leaf, kept as is; a non-data object (a delegate, task, stream,
/// HTTP client, lazy sequence...), kept by reference and never read; or a <see cref="TraceValue"/>, a capped and
/// scrubbed JSON copy of anything mutable.
/// </summary>
internal static class TraceSnapshot
{
    /// <summary>Snapshots <paramref name="value"/> as it is now. Leaves and non-data objects cost no allocation.</summary>
    public static object? Capture(object? value, StepTraceOptions options)
    {
        if (value is null || TraceTypeInfo.IsKeptAsIs(value))
        {
            return value;
        }

        var walker = new TraceWalker(options);
        var tree = walker.Walk(value, 0);
        return new TraceValue(tree, value.GetType(), walker.Complete);
    }

    /// <summary>
    /// Turns a snapshot back into a value for typed access: a complete snapshot becomes a new instance of the captured
    /// type equal to what the step saw; a capped, scrubbed or unrebuildable one becomes JSON (a new token, so the trace
    /// is never changed through it). Leaves and non-data objects are returned as they are.
    /// </summary>
    public static object? Materialize(object? snapshot, StepTraceOptions options)
    {
        if (snapshot is ReplySnapshot reply)
        {
            return reply.Parse();
        }

        if (snapshot is not TraceValue captured)
        {
            return snapshot;
        }

        var token = TraceWalker.ToToken(captured.Tree, options);
        if (captured.Complete && TraceTypeInfo.Get(captured.Type).Kind != TraceValueKind.Json)
        {
            try
            {
                var value = token.ToObject(captured.Type, AgentStepsJson.Serializer);

                // A type Json.NET cannot rebuild in full (private setters, computed state) comes back different: keep the JSON then.
                if (value is not null && value.GetType() == captured.Type && Capture(value, options) is TraceValue again &&
                    TraceWalker.TreeEquals(again.Tree, captured.Tree))
                {
                    return value;
                }
            }
#pragma warning disable CA1031 // Any failure to rebuild the value (a throwing constructor or setter included) leaves the JSON.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        return token;
    }

    /// <summary>Writes a snapshot as JSON for <see cref="Runtime.ToJson(bool)"/>: runs no user code and never blocks.</summary>
    public static JToken ToToken(object? snapshot, StepTraceOptions options)
    {
        switch (snapshot)
        {
            case null:
                return JValue.CreateNull();
            case TraceValue captured:
                return TraceWalker.ToToken(captured.Tree, options);
            case ReplySnapshot reply:
                // Walked like any value, so that caps and scrubbing apply; a reply that no longer parses is shown as text.
                return reply.Parse() is { } value ? ToToken(Capture(value, options), options) : TraceWalker.LeafToken(reply.Reply, options);
        }

        var info = TraceTypeInfo.Get(snapshot.GetType());
        return info.Kind == TraceValueKind.Leaf ? TraceWalker.LeafToken(snapshot, options) : new JValue(TraceWalker.MarkerText(info));
    }
}
