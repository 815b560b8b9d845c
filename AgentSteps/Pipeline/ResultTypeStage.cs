using AgentSteps.Diagnostics;

namespace AgentSteps.Pipeline;

/// <summary>
/// Checks that what user middleware returned fits the step's result type, so that a middleware mistake is a clear
/// error, recorded as the step's failure, instead of an <see cref="InvalidCastException"/> or
/// <see cref="NullReferenceException"/> thrown from the proxy after the trace said the step succeeded. Composed only
/// when there is user middleware: the built-in stages always return the step's own result.
/// </summary>
internal sealed class ResultTypeStage : IStepMiddleware
{
    public static readonly ResultTypeStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        var pending = next(context);
        return pending.IsCompletedSuccessfully ? new ValueTask<object?>(Check(context, pending.Result)) : CheckAsync(context, pending);
    }

    private static async ValueTask<object?> CheckAsync(StepContext context, ValueTask<object?> pending) =>
        Check(context, await pending.ConfigureAwait(false));

    private static object? Check(StepContext context, object? result)
    {
        var type = context.Descriptor.Shape.ResultType;
        if (type == typeof(void) || type == typeof(object))
        {
            return result;
        }

        bool fits = result is null ? !type.IsValueType || Nullable.GetUnderlyingType(type) is not null : type.IsInstanceOfType(result) || Unboxes(result, type);
        if (!fits)
        {
            var returned = result is null ? "null" : "a value of type '" + TraceTypeInfo.FriendlyName(result.GetType()) + "'";
            throw new InvalidOperationException(
                $"Middleware returned {returned} for step '{context.Descriptor.QualifiedName}', whose result type is '{TraceTypeInfo.FriendlyName(type)}'. " +
                "Middleware must return a value of the step's result type, or what next(context) returned.");
        }

        return result;
    }

    /// <summary>Whether the runtime's unboxing accepts the value anyway: an enum from its underlying type, and the reverse.</summary>
    private static bool Unboxes(object result, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        var source = result.GetType();
        return (target.IsEnum ? Enum.GetUnderlyingType(target) : target) == (source.IsEnum ? Enum.GetUnderlyingType(source) : source);
    }
}
