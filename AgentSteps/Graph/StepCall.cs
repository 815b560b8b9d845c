using System.Reflection;

namespace AgentSteps.Graph;

/// <summary>What one method's IL says about its calls of one step.</summary>
internal sealed class StepCall(MethodInfo step, int order)
{
    public MethodInfo Step { get; } = step;

    public int Order { get; set; } = order;

    public bool IsConditional { get; set; }

    public HashSet<MethodInfo> Inputs { get; } = new(MethodHandleComparer.Instance);
}
