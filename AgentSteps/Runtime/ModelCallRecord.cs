using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// What an LLM step's record keeps of its model calls: the model, the conversation, the call count and the usage. Kept
/// apart from <see cref="ExecutedStep"/> so that a code step's record carries none of it.
/// </summary>
internal sealed class ModelCallRecord
{
    private int _calls;
    private long _waitTicks;
    private bool _usageOwned;
    private string? _validReply;
    private object? _parsed;
    private StructuredOutput.OutputContract? _contract;
    private List<List<ChatMessage>>? _earlier;
    private decimal _cost;
    private bool _costUnknown;

    public string? Model { get; set; }

    public string? ResponseModel { get; set; }

    /// <summary>Gets the conversation of the latest call of the step's model handler.</summary>
    public List<ChatMessage>? Conversation { get; private set; }

    /// <summary>
    /// Starts the conversation of one pass through the model handler. Middleware that calls <c>next</c> again (a retry, a
    /// hedge) starts another; the earlier ones are kept, so that <see cref="ExecutedStep.Messages"/> shows every call made.
    /// </summary>
    public void StartConversation(List<ChatMessage> messages)
    {
        lock (this)
        {
            if (Conversation is not null)
            {
                (_earlier ??= []).Add(Conversation);
            }

            Conversation = messages;
        }
    }

    /// <summary>Copies every conversation, in the order they started.</summary>
    public ChatMessage[] Messages()
    {
        lock (this)
        {
            if (Conversation is null)
            {
                return [];
            }

            var all = new List<ChatMessage>();
            foreach (var conversation in _earlier ?? [])
            {
                lock (conversation)
                {
                    all.AddRange(conversation);
                }
            }

            lock (Conversation)
            {
                all.AddRange(Conversation);
            }

            return [.. all];
        }
    }

    public UsageDetails? Usage { get; private set; }

    public int Calls => Volatile.Read(ref _calls);

    public void CountCall() => Interlocked.Increment(ref _calls);

    /// <summary>Gets how long the step's model calls waited for a slot under <see cref="RuntimeOptions.MaxConcurrentModelCalls"/>.</summary>
    public TimeSpan WaitTime => TimeSpan.FromTicks(Interlocked.Read(ref _waitTicks));

    /// <summary>Adds one call's wait for a slot; middleware may run a step's model calls in parallel (hedging).</summary>
    public void AddWaitTime(TimeSpan waited) => Interlocked.Add(ref _waitTicks, waited.Ticks);

    /// <summary>Notes the reply that parsed into <paramref name="parsed"/>, the value the model step returns.</summary>
    public void Parsed(string reply, object? parsed, StructuredOutput.OutputContract? contract)
    {
        _validReply = reply;
        _parsed = parsed;
        _contract = contract;
    }

    /// <summary>
    /// Gets the reply as the snapshot of the step's result, when the step returns what the reply parsed into (middleware
    /// may return something else: then <see langword="null"/>, and the result is walked as any value is). Strings and
    /// other values kept as they are need no snapshot.
    /// </summary>
    public object? TakeReplySnapshot(object? result)
    {
        var parsed = _parsed;
        var contract = _contract;
        _parsed = null; // the trace keeps the reply, not the value the caller now owns
        return contract is not null && _validReply is { } reply && parsed is not null && ReferenceEquals(parsed, result) &&
            !Diagnostics.TraceTypeInfo.IsKeptAsIs(parsed)
            ? new Diagnostics.ReplySnapshot(reply, contract)
            : null;
    }

    /// <summary>Gets the cost of the step's replies, or <see langword="null"/> when one of them had no price or no usage.</summary>
    public decimal? Cost
    {
        get
        {
            lock (this)
            {
                return _costUnknown ? null : _cost;
            }
        }
    }

    /// <summary>Adds one reply's cost; <see langword="null"/> makes the step's cost unknown.</summary>
    public void AddCost(decimal? cost)
    {
        lock (this)
        {
            if (cost is { } known)
            {
                _cost += known;
            }
            else
            {
                _costUnknown = true;
            }
        }
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
