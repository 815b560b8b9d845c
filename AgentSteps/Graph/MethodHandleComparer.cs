using System.Reflection;

namespace AgentSteps.Graph;

/// <summary>Compares methods by handle, so the same method reached through different reflected types is one key.</summary>
internal sealed class MethodHandleComparer : IEqualityComparer<MethodInfo>
{
    public static readonly MethodHandleComparer Instance = new();

    public bool Equals(MethodInfo? x, MethodInfo? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.MethodHandle.Equals(y.MethodHandle));

    public int GetHashCode(MethodInfo obj) => obj.MethodHandle.GetHashCode();
}
