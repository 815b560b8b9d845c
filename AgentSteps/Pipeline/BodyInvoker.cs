using System.Reflection;
using System.Reflection.Emit;

namespace AgentSteps.Pipeline;

/// <summary>
/// Runs a code step's own body on a proxy without Castle's invocation: a non-virtual call of the workflow's method, as
/// <c>base.Method(...)</c> compiles to. Middleware that awaits before <c>next</c> runs the body after the interceptor has
/// returned; through Castle's one invocation, that late run would write its result where the proxy reads the call's own
/// task, and could read that task back as the body's (a call awaiting itself).
/// </summary>
internal static class BodyInvoker
{
    /// <summary>Builds the call, or returns <see langword="null"/> for a method it does not cover (by-ref parameters, open generics).</summary>
    /// <param name="method">The step's method.</param>
    /// <param name="virtualCall">
    /// Whether to call the method virtually, through the proxy's override (a model's tool call, which must be intercepted),
    /// rather than the workflow's own body.
    /// </param>
    public static Func<object, object?[], object?>? TryCreate(MethodInfo method, bool virtualCall = false)
    {
        var parameters = method.GetParameters();
        if ((method.IsAbstract && !virtualCall) || method.ContainsGenericParameters || method.IsStatic || method.DeclaringType is not { IsValueType: false } declaring ||
            method.ReturnType.IsByRef || method.ReturnType.IsByRefLike || parameters.Any(p => p.ParameterType.IsByRef || p.ParameterType.IsByRefLike || p.ParameterType.IsPointer))
        {
            return null;
        }

        try
        {
            var dynamicMethod = new DynamicMethod((virtualCall ? "AgentSteps.Call." : "AgentSteps.Body.") + method.Name, typeof(object), [typeof(object), typeof(object?[])], declaring.Module, skipVisibility: true);
            var il = dynamicMethod.GetILGenerator();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Castclass, declaring);
            for (int i = 0; i < parameters.Length; i++)
            {
                var type = parameters[i].ParameterType;
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, i);
                il.Emit(OpCodes.Ldelem_Ref);
                il.Emit(type.IsValueType ? OpCodes.Unbox_Any : OpCodes.Castclass, type);
            }

            // A body call is not virtual: the proxy's override would intercept it again. A tool call is, for that reason.
            il.Emit(virtualCall ? OpCodes.Callvirt : OpCodes.Call, method);
            if (method.ReturnType == typeof(void))
            {
                il.Emit(OpCodes.Ldnull);
            }
            else if (method.ReturnType.IsValueType)
            {
                il.Emit(OpCodes.Box, method.ReturnType);
            }

            il.Emit(OpCodes.Ret);
            return (Func<object, object?[], object?>)dynamicMethod.CreateDelegate(typeof(Func<object, object?[], object?>));
        }
#pragma warning disable CA1031 // Where emitting is not possible, the caller proceeds through Castle instead.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }
}
