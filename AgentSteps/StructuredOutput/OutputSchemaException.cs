namespace AgentSteps.StructuredOutput;

/// <summary>Raised while building an output schema that structured output cannot express; the inspector names the step.</summary>
internal sealed class OutputSchemaException : Exception
{
    public OutputSchemaException(string message)
        : base(message)
    {
    }

    public OutputSchemaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public OutputSchemaException()
    {
    }
}
