using System.Runtime.CompilerServices;

namespace AgentSteps.Internal;

/// <summary>
/// The read-only switch shared by an options object and its collections: once frozen, every change throws, as
/// <c>JsonSerializerOptions</c> does after its first use.
/// </summary>
internal sealed class Freezable(string owner)
{
    private volatile bool _frozen;

    public bool IsFrozen => _frozen;

    public void Freeze() => _frozen = true;

    public void ThrowIfFrozen([CallerMemberName] string member = "")
    {
        if (_frozen)
        {
            throw new InvalidOperationException(
                $"Cannot change {owner}.{member}: this {owner} instance is in use by a runtime and can no longer be changed. " +
                $"Create a new {owner} for a different configuration.");
        }
    }
}
