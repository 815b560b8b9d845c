namespace AgentSteps.Internal;

/// <summary>Stands in for an exception whose message held a secret: the original type's name and the redacted message.</summary>
internal sealed class RedactedException : Exception
{
    public RedactedException(string originalType, string message, Exception? innerException)
        : base($"{originalType}: {message}", innerException)
    {
        OriginalType = originalType;
    }

    public RedactedException()
    {
        OriginalType = string.Empty;
    }

    public RedactedException(string message)
        : base(message)
    {
        OriginalType = string.Empty;
    }

    public RedactedException(string message, Exception innerException)
        : base(message, innerException)
    {
        OriginalType = string.Empty;
    }

    /// <summary>Gets the full name of the exception type that was replaced.</summary>
    public string OriginalType { get; }
}
