namespace AgentSteps.StructuredOutput;

/// <summary>
/// What is wrong with a model reply at one place in it, in the one style corrections use: <c>$.path: what is wrong</c>.
/// </summary>
internal sealed class ReplyException : Exception
{
    public ReplyException(string path, string problem, bool isSyntax = false)
        : base(path + ": " + problem)
    {
        Path = path;
        Problem = problem;
        IsSyntax = isSyntax;
    }

    public ReplyException()
    {
        Path = "$";
        Problem = string.Empty;
    }

    public ReplyException(string message)
        : base(message)
    {
        Path = "$";
        Problem = message;
    }

    public ReplyException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = "$";
        Problem = message;
    }

    /// <summary>Gets where in the reply the problem is, as a JSONPath such as <c>$.Ingredients[2]</c>.</summary>
    public string Path { get; }

    /// <summary>Gets what is wrong there.</summary>
    public string Problem { get; }

    /// <summary>Gets whether the reply is not strict JSON at all, so that no other error is worth reporting.</summary>
    public bool IsSyntax { get; }
}
