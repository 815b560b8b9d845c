using System.Reflection;
using AgentSteps.StructuredOutput;
using Newtonsoft.Json;

namespace AgentSteps.Pipeline;

/// <summary>
/// Journals a run's steps and replays them when the run is resumed. Last before the body or model call, and composed
/// only when <see cref="RuntimeOptions.Journal"/> is set. Per call: a step whose key the run's journal holds, with the
/// same version and arguments, returns (or throws) what was journaled without running; with other arguments it is a
/// <see cref="ReplayDivergenceException"/>; with another version, or not journaled, it runs and its outcome is committed
/// before its caller goes on.
/// </summary>
/// <remarks>
/// Not journaled (they run as they would without a journal): streaming steps, and steps a model calls as tools (they run
/// again when their LLM step runs again; a journaled LLM step replays without calling them).
/// </remarks>
internal sealed class JournalStage : IStepMiddleware
{
    public static readonly JournalStage Instance = new();

    public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next)
    {
        if (context.Sink is not null || context.ToolCall is not null)
        {
            return next(context);
        }

        return JournalAsync(context, next);
    }

    private static async ValueTask<object?> JournalAsync(StepContext context, StepHandler next)
    {
        var runtime = context.Runtime;
        var state = runtime.JournalState;
        var descriptor = context.Descriptor;
        var step = context.Step;
        bool root = step.Parent is null;
        if (root)
        {
            await state.StartRootAsync(context).ConfigureAwait(false);
        }

        var journaled = await state.StepsAsync().ConfigureAwait(false);
        var key = step.Key;
        var version = descriptor.JournalVersion;
        var argumentsJson = StepVersion.ArgumentsJson(descriptor, context.ArgumentArray);
        var argumentHash = StepVersion.HashArguments(argumentsJson);

        if (journaled.TryGetValue(key, out var entry) && entry.Version == version)
        {
            if (entry.ArgumentHash != argumentHash)
            {
                throw new ReplayDivergenceException(runtime.RunId, key, descriptor.QualifiedName, entry.Step, entry.ArgumentHash, argumentHash, argumentsJson);
            }

            if (!entry.Failed && TryDeserialize(entry.ResultJson, descriptor.Shape.ResultType, out var replayed))
            {
                step.Replayed = true;
                return replayed;
            }

            // A result that no longer reads as the step's result type runs the step again, as a new version would.

            if (entry.Failed && WasCaught(entry, journaled))
            {
                step.Replayed = true;
                if (root)
                {
                    state.RootFailed();
                }

                throw Recreate(entry.ExceptionType!, entry.ExceptionMessage ?? string.Empty);
            }

            // A failure the run did not go past (it ended the run, or the run was cut short): the step runs again.
        }

        var clock = runtime.Configuration.TimeProvider;
        var startedAt = clock.GetUtcNow();
        var started = clock.GetTimestamp();
        object? result;
        try
        {
            result = await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ReplayDivergenceException)
        {
            if (root)
            {
                state.RootFailed();
            }

            // A cancelled step, or one below a divergence, is not journaled: it runs again on resume.
            await state.Journal.CommitStepAsync(runtime.RunId, Entry(step, descriptor.QualifiedName, argumentHash, version, null, e, startedAt, clock.GetElapsedTime(started))).ConfigureAwait(false);
            throw;
        }
        catch (Exception) when (root)
        {
            state.RootFailed();
            throw;
        }

        var resultJson = descriptor.Shape.ResultType == typeof(void) ? null : AgentStepsJson.Serialize(result);
        await state.Journal.CommitStepAsync(runtime.RunId, Entry(step, descriptor.QualifiedName, argumentHash, version, resultJson, null, startedAt, clock.GetElapsedTime(started))).ConfigureAwait(false);
        return result;
    }

    private static JournaledStep Entry(ExecutedStep step, string name, string argumentHash, string version, string? resultJson, Exception? failure, DateTimeOffset startedAt, TimeSpan duration)
    {
        var usage = step.Usage;
        return new JournaledStep(
            step.Key,
            name,
            argumentHash,
            version,
            resultJson,
            failure?.GetType().FullName,
            failure?.Message,
            usage?.InputTokenCount ?? 0,
            usage?.OutputTokenCount ?? 0,
            step.ModelCalls,
            startedAt,
            duration);
    }

    private static bool TryDeserialize(string? json, Type type, out object? result)
    {
        result = null;
        if (type == typeof(void) || json is null)
        {
            return true;
        }

        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { MaxDepth = AgentStepsJson.MaxDepth };
            result = AgentStepsJson.Serializer.Deserialize(reader, type);
            return result is not null || !type.IsValueType || Nullable.GetUnderlyingType(type) is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the workflow went past a journaled failure (so a resumed run takes the same path when it replays the
    /// failure): the step's parent is journaled and either succeeded or failed with another exception. A root step's
    /// failure, one its parent failed with, and one whose parent is not journaled (the run was cut short) run again.
    /// </summary>
    private static bool WasCaught(JournaledStep failed, IReadOnlyDictionary<string, JournaledStep> journaled)
    {
        int slash = failed.Key.LastIndexOf('/');
        if (slash < 0 || !journaled.TryGetValue(failed.Key[..slash], out var parent))
        {
            return false;
        }

        return !parent.Failed || parent.ExceptionType != failed.ExceptionType || parent.ExceptionMessage != failed.ExceptionMessage;
    }

    /// <summary>
    /// Recreates a journaled failure: the same type when it is an <see cref="AgentStepsException"/> or a type of the base
    /// class library with a public (string) constructor; otherwise an <see cref="InvalidOperationException"/> naming the
    /// original type and its message.
    /// </summary>
    internal static Exception Recreate(string typeName, string message)
    {
        var type = FindType(typeName);
        if (type is not null && typeof(Exception).IsAssignableFrom(type) && !type.IsAbstract &&
            (typeof(AgentStepsException).IsAssignableFrom(type) || IsBaseClassLibrary(type)) &&
            type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, [typeof(string)]) is { } constructor)
        {
            try
            {
                return (Exception)constructor.Invoke([message]);
            }
            catch (TargetInvocationException)
            {
                // Falls through to the stand-in below.
            }
        }

        return new InvalidOperationException($"{typeName}: {message}");
    }

    private static bool IsBaseClassLibrary(Type type)
    {
        var assembly = type.Assembly.GetName().Name ?? string.Empty;
        return type.Assembly == typeof(object).Assembly || assembly == "System" || assembly.StartsWith("System.", StringComparison.Ordinal) || assembly == "netstandard";
    }

    private static Type? FindType(string name)
    {
        var type = Type.GetType(name, throwOnError: false);
        if (type is not null)
        {
            return type;
        }

        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            type = assembly.GetType(name, throwOnError: false);
            if (type is not null)
            {
                return type;
            }
        }

        return null;
    }
}
