using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;

namespace AgentSteps.Tools;

/// <summary>
/// One call a model asked for, as it runs: the provider's call, its place in the run, reserved in reply order (so keys,
/// tree order and loop counts stay deterministic when calls run in parallel), and what its approval came to. A step tool's call reaches the
/// interceptor through <see cref="Hand"/>, since it goes through the workflow's proxy like a call from code.
/// </summary>
internal sealed class ToolCall(FunctionCallContent content)
{
    [ThreadStatic]
    private static ToolCall? t_pending;

    public FunctionCallContent Content { get; } = content;

    public string CallId => Content.CallId;

    public string Name => Content.Name;

    /// <summary>Gets a value indicating whether the call's place in the run has been reserved.</summary>
    public bool Reserved { get; private set; }

    /// <summary>Gets the ordinal reserved for the call's step among its parent's calls of that step.</summary>
    public int Ordinal { get; private set; }

    /// <summary>Gets the place reserved for the call's step in the run's call order.</summary>
    public int Sequence { get; private set; }

    /// <summary>Gets the entry of the call's step in the run, which its MaxLoops is checked against.</summary>
    public int Entry { get; private set; }

    public void Reserve(int ordinal, int sequence, int entry) => (Ordinal, Sequence, Entry, Reserved) = (ordinal, sequence, entry, true);

    /// <summary>Gets the token of the LLM step that made the call, which its approval waits on whether or not the tool takes one.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Gets or sets the failure of the approval handler, which fails the LLM step rather than going back to the model.</summary>
    public ExceptionDispatchInfo? ApprovalFailure { get; set; }

    /// <summary>Hands the call to the step the next proxy call on this thread starts.</summary>
    public static void Hand(ToolCall? call) => t_pending = call;

    /// <summary>Takes the call handed to the step starting on this thread, if any.</summary>
    public static ToolCall? Take()
    {
        var call = t_pending;
        if (call is not null)
        {
            t_pending = null;
        }

        return call;
    }
}
