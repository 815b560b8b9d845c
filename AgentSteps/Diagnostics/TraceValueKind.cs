namespace AgentSteps.Diagnostics;

/// <summary>How the trace snapshots a value of one type.</summary>
internal enum TraceValueKind
{
    /// <summary>An immutable value kept as is: string, number, enum, date, <see cref="Guid"/>, <see cref="Uri"/>...</summary>
    Leaf,

    /// <summary>Not data (a delegate, task, stream, HTTP client, lazy sequence...): kept by reference, never read, written as its type name.</summary>
    Marker,

    /// <summary>A Newtonsoft <see cref="Newtonsoft.Json.Linq.JToken"/>, copied node by node.</summary>
    Json,

    /// <summary>A dictionary, written as an object keyed by its keys.</summary>
    Dictionary,

    /// <summary>A materialized collection (an array, list, set...), written as an array.</summary>
    Collection,

    /// <summary>An object written member by member, with the names the model sees.</summary>
    Object,

    /// <summary>An exception, written as its type and message.</summary>
    Exception,

    /// <summary>A value written as text (a System.Text.Json element or value, a type with a string converter).</summary>
    Text,
}
