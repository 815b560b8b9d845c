namespace AgentSteps.StructuredOutput;

internal enum OutputKind
{
    /// <summary>The step returns <see cref="string"/>: the reply text is the result, no schema is sent.</summary>
    Text,

    /// <summary>The step returns an object type: its schema is the response format.</summary>
    Object,

    /// <summary>The step returns a primitive, enum, nullable or collection: wrapped in <c>{ "value": ... }</c>.</summary>
    Wrapped,
}
