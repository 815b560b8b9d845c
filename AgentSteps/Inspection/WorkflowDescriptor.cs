using System.Collections.Concurrent;
using System.Reflection;

namespace AgentSteps.Inspection;

/// <summary>The steps of one workflow class, keyed by method handle for the interceptor's one lookup per call.</summary>
internal sealed class WorkflowDescriptor
{
    private static int s_nextStepId = -1;

    private readonly Dictionary<RuntimeMethodHandle, StepDescriptor> _steps;
    private readonly ConcurrentDictionary<MethodInfo, StepDescriptor> _constructed = new();
    private Pipeline.StepInterceptor? _interceptor;

    public WorkflowDescriptor(Type type, IReadOnlyList<StepDescriptor> steps)
    {
        Type = type;
        _steps = new Dictionary<RuntimeMethodHandle, StepDescriptor>(steps.Count);
        foreach (var step in steps)
        {
            step.Id = Interlocked.Increment(ref s_nextStepId);
            _steps[step.Method.MethodHandle] = step;
        }
    }

    public Type Type { get; }

    /// <summary>Gets a new step id, for a step that belongs to no workflow (an external tool a model calls).</summary>
    public static int NextStepId() => Interlocked.Increment(ref s_nextStepId);

    /// <summary>Gets the interceptor every proxy of this workflow shares; it holds no per-proxy state.</summary>
    public Pipeline.StepInterceptor Interceptor => _interceptor ??= new Pipeline.StepInterceptor(this);

    public StepDescriptor? Find(MethodInfo method)
    {
        if (_steps.TryGetValue(method.MethodHandle, out var step))
        {
            return step;
        }

        // A generic step is called as a constructed method; its descriptor is kept under the definition.
        if (!method.IsGenericMethod || !_steps.TryGetValue(method.GetGenericMethodDefinition().MethodHandle, out step))
        {
            return null;
        }

        // Task<T> needs the shape of the constructed method: made once per type arguments, then a lookup.
        return step.Shape.IsOpen ? _constructed.GetOrAdd(method, static (m, s) => s.Close(m, ReturnShape.ForConstructed(m)), step) : step;
    }
}
