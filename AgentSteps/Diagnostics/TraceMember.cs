using Newtonsoft.Json.Serialization;

namespace AgentSteps.Diagnostics;

/// <summary>One member the trace reads from an object: its JSON name, its getter, and whether its name looks secret.</summary>
internal sealed class TraceMember(string name, IValueProvider getter, bool secret)
{
    public string Name { get; } = name;

    public IValueProvider Getter { get; } = getter;

    public bool Secret { get; } = secret;
}
