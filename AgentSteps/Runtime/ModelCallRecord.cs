using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// What an LLM step's record keeps of its model calls: the model, the conversation, the call count and the usage. Kept
/// apart from <see cref="ExecutedStep"/> so that a code step's record carries none of it.
/// </summary>
internal sealed class ModelCallRecord
{
    private int _calls;
    private bool _usageOwned;
    private string? _validReply;
    private object? _parsed;

    public string? Model { get; set; }

    public string? ResponseModel { get; set; }

    public List<ChatMessage>? Conversation { get; set; }

    public UsageDetails? Usage { get; private set; }

    public int Calls => Volatile.Read(ref _calls);

    public void CountCall() => Interlocked.Increment(ref _calls);

    /// <summary>Notes the reply that parsed into <paramref name="parsed"/>, the value the model step returns.</summary>
    public void Parsed(string reply, object? parsed)
    {
        _validReply = reply;
        _parsed = parsed;
    }

    /// <summary>
    /// Gets the reply as the snapshot of the step's result, when the step returns what the reply parsed into (middleware
    /// may return something else: then <see langword="null"/>, and the result is walked as any value is). Strings and
    /// other values kept as they are need no snapshot.
    /// </summary>
    public object? TakeReplySnapshot(object? result, StructuredOutput.OutputContract? contract)
    {
        var parsed = _parsed;
        _parsed = null; // the trace keeps the reply, not the value the caller now owns
        return contract is not null && _validReply is { } reply && parsed is not null && ReferenceEquals(parsed, result) &&
            !Diagnostics.TraceTypeInfo.IsKeptAsIs(parsed)
            ? new Diagnostics.ReplySnapshot(reply, contract)
            : null;
    }

    public void AddUsage(UsageDetails usage)
    {
        if (Usage is null)
        {
            // The provider's own record serves while there is one call; a copy is made only to add a second to it.
            Usage = usage;
            return;
        }

        if (!_usageOwned)
        {
            var total = new UsageDetails();
            total.Add(Usage);
            Usage = total;
            _usageOwned = true;
        }

        Usage.Add(usage);
    }
}
