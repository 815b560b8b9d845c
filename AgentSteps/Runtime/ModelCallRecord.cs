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

    public string? Model { get; set; }

    public string? ResponseModel { get; set; }

    public List<ChatMessage>? Conversation { get; set; }

    public UsageDetails? Usage { get; private set; }

    public int Calls => Volatile.Read(ref _calls);

    public void CountCall() => Interlocked.Increment(ref _calls);

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
