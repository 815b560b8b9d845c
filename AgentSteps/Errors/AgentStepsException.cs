namespace AgentSteps;

/// <summary>
/// The base class of the errors AgentSteps raises while a workflow runs or is built, so that callers can catch them together.
/// </summary>
public class AgentStepsException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="AgentStepsException"/> class.</summary>
    public AgentStepsException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AgentStepsException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public AgentStepsException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AgentStepsException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public AgentStepsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
