using AgentSteps.StructuredOutput;

namespace AgentSteps.Diagnostics;

/// <summary>
/// The snapshot of an LLM step's result: the model's valid reply itself, which the step's conversation keeps anyway.
/// Nothing is walked or copied when the step ends; the typed value and its JSON are made from the reply when read.
/// </summary>
internal sealed class ReplySnapshot(string reply, OutputContract contract)
{
    public string Reply { get; } = reply;

    /// <summary>Reads the reply again into a new value of the step's result type.</summary>
    public object? Parse() => contract.TryParse(Reply, out var value, out _) ? value : null;

    public override string ToString() => Reply;
}
