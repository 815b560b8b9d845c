namespace AgentSteps;

/// <summary>A call from one step to another, as the compiled IL of the caller shows it.</summary>
public sealed class StepEdge
{
    internal StepEdge(StepNode source, StepNode target, bool isConditional, IReadOnlyList<StepNode> inputs, int order)
    {
        Source = source;
        Target = target;
        IsConditional = isConditional;
        Inputs = inputs;
        Order = order;
    }

    /// <summary>Gets the calling step.</summary>
    public StepNode Source { get; }

    /// <summary>Gets the called step.</summary>
    public StepNode Target { get; }

    /// <summary>
    /// Gets a value indicating whether some path through the caller skips the call (a branch, a loop that may run zero
    /// times, a lambda that may not be invoked, a catch block).
    /// </summary>
    public bool IsConditional { get; }

    /// <summary>Gets the steps whose results this caller passes into the call.</summary>
    public IReadOnlyList<StepNode> Inputs { get; }

    /// <summary>Gets a value indicating whether the call closes a cycle: its target is the caller or one of its callers.</summary>
    public bool IsBackEdge { get; internal set; }

    /// <summary>Gets the position of the call among the caller's calls, in IL order.</summary>
    internal int Order { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Source.Name} -> {Target.Name}{(IsConditional ? " (conditional)" : string.Empty)}";
}
