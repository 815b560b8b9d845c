using System.Reflection;
using Castle.DynamicProxy;

namespace AgentSteps.Pipeline;

/// <summary>
/// Tells Castle to intercept only [Step] methods, so other virtual members of a workflow run at full speed.
/// Instances are equal, so Castle's proxy-type cache hits for every proxy of a type.
/// </summary>
internal sealed class StepProxyGenerationHook : IProxyGenerationHook
{
    public void MethodsInspected()
    {
    }

    public void NonProxyableMemberNotification(Type type, MemberInfo memberInfo)
    {
        // The inspector reports non-virtual steps with a clearer message before any proxy is built.
    }

    public bool ShouldInterceptMethod(Type type, MethodInfo methodInfo) =>
        methodInfo.IsDefined(typeof(StepAttribute), inherit: true);

    public override bool Equals(object? obj) => obj is StepProxyGenerationHook;

    public override int GetHashCode() => typeof(StepProxyGenerationHook).GetHashCode();
}
