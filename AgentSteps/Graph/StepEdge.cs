namespace AgentSteps;

/// <summary>
/// A call from one step to another: a call in the caller's code, as its compiled IL shows it, or a tool call, which an
/// LLM step's model may make to a step named in its <see cref="StepAttribute.Tools"/>.
/// </summary>
public sealed class StepEdge
{
    internal StepEdge(StepNode source, StepNode target, bool isConditional, IReadOnlyList<StepNode> inputs, int order, bool isToolCall = false)
    {
        Source = source;
        Target = target;
        IsConditional = isConditional;
        Inputs = inputs;
        Order = order;
        IsToolCall = isToolCall;
    }

    /// <summary>Gets the calling step.</summary>
    public StepNode Source { get; }

    /// <summary>Gets the called step.</summary>
    public StepNode Target { get; }

    /// <summary>
    /// Gets a value indicating whether some path through the caller skips the call (a branch, a loop that may run zero
    /// times, a lambda that may not be invoked, a catch block). Always <see langword="true"/> for a tool call, since the
    /// model may not make it.
    /// </summary>
    public bool IsConditional { get; }

    /// <summary>
    /// Gets a value indicating whether the call is a tool call: the caller is an LLM step that names the target in its
    /// <see cref="StepAttribute.Tools"/>, and its model decides at run time whether, and how often, to call it.
    /// </summary>
    public bool IsToolCall { get; }

    /// <summary>Gets the steps whose results this caller passes into the call (none for a tool call: the model writes its arguments).</summary>
    public IReadOnlyList<StepNode> Inputs { get; }

    /// <summary>Gets a value indicating whether the call closes a cycle: its target is the caller or one of its callers.</summary>
    public bool IsBackEdge { get; internal set; }

    /// <summary>Gets the position of the call among the caller's calls, in IL order.</summary>
    internal int Order { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Source.Name} -> {Target.Name}{(IsToolCall ? " (tool)" : IsConditional ? " (conditional)" : string.Empty)}";
}
