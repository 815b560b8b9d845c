using System.Globalization;
using System.Text;
using AgentSteps.Internal;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Diagnostics;

/// <summary>
/// Writes a run's call tree as text and as JSON, from the snapshots taken at record time (see <see cref="TraceSnapshot"/>):
/// it runs no user code, never blocks, and every value is already capped.
/// </summary>
internal static class TraceFormatter
{
    /// <summary>How much of a failed step's message <see cref="FormatTree"/> shows.</summary>
    public const int MaxMessageLength = 200;

    /// <summary>
    /// How deeply nested steps are written; deeper ones are summed up in a note. Writing is recursive, so an unbounded
    /// tree (a step recursing thousands of times) would overflow the stack of the thread that writes it.
    /// </summary>
    public const int MaxTreeDepth = 256;

    public static string FormatTree(IReadOnlyList<ExecutedStep> roots)
    {
        var text = new StringBuilder();
        foreach (var root in OrderByStart(roots))
        {
            Append(text, root, string.Empty, string.Empty, 1);
        }

        return text.ToString();
    }

    public static string ToJson(IReadOnlyList<ExecutedStep> roots, string runId, bool indented)
    {
        var json = new JObject
        {
            ["runId"] = runId,
            ["steps"] = new JArray(OrderByStart(roots).Select(root => ToJson(root, 1))),
        };
        return json.ToString(indented ? Formatting.Indented : Formatting.None);
    }

    // Call order, which start times only approximate: they tie under a fixed clock (a test's TimeProvider) or a coarse one.
    private static IEnumerable<ExecutedStep> OrderByStart(IEnumerable<ExecutedStep> steps) => steps.OrderBy(s => s.Sequence);

    private static void Append(StringBuilder text, ExecutedStep step, string indent, string childIndent, int depth)
    {
        text.Append(indent).Append(step.ToString());
        if (step.Exception is { } exception)
        {
            text.Append(": ").Append(FailureMessage(exception));
        }

        text.AppendLine();
        var children = OrderByStart(step.Children).ToList();
        if (depth >= MaxTreeDepth && children.Count > 0)
        {
            text.Append(childIndent).Append("└─ ").AppendLine(DeeperNote(children));
            return;
        }

        for (int i = 0; i < children.Count; i++)
        {
            bool last = i == children.Count - 1;
            Append(text, children[i], childIndent + (last ? "└─ " : "├─ "), childIndent + (last ? "   " : "│  "), depth + 1);
        }
    }

    private static JObject ToJson(ExecutedStep step, int depth)
    {
        var json = new JObject
        {
            ["name"] = step.Name,
            ["key"] = step.Key,
            ["workflow"] = step.Workflow,
            ["kind"] = step.Kind.ToString(),
            ["loop"] = step.Loop,
            ["startedAt"] = step.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["durationMs"] = Math.Round(step.Duration.TotalMilliseconds, 3),
            ["arguments"] = Arguments(step),
        };
        if (step.Replayed)
        {
            // Only in resumed journaled runs: the step returned what the journal kept, without running.
            json["replayed"] = true;
        }

        if (step.Model is not null)
        {
            json["model"] = step.Model;
            if (step.ResponseModel is { } answered)
            {
                json["responseModel"] = answered;
            }

            json["modelCalls"] = step.ModelCalls;
            if (step.ModelWaitTime > TimeSpan.Zero)
            {
                // Time spent waiting for a slot under RuntimeOptions.MaxConcurrentModelCalls, within durationMs.
                json["modelWaitMs"] = Math.Round(step.ModelWaitTime.TotalMilliseconds, 3);
            }
        }

        if (step.Usage is { } usage)
        {
            json["usage"] = new JObject
            {
                ["inputTokens"] = usage.InputTokenCount,
                ["outputTokens"] = usage.OutputTokenCount,
                ["totalTokens"] = usage.TotalTokenCount,
            };
        }

        if (step.Exception is { } exception)
        {
            json["error"] = new JObject { ["type"] = exception.GetType().FullName, ["message"] = Text.Truncate(MessageOf(exception), step.TraceLimits.MaxStringLength) };
        }
        else
        {
            json["result"] = TraceSnapshot.ToToken(step.ResultSnapshot, step.TraceLimits);
        }

        var children = step.Children;
        json["children"] = depth >= MaxTreeDepth && children.Count > 0
            ? new JArray(DeeperNote(children))
            : new JArray(OrderByStart(children).Select(child => ToJson(child, depth + 1)));
        return json;
    }

    private static JObject Arguments(ExecutedStep step)
    {
        var arguments = new JObject();
        var names = step.ArgumentNames;
        for (int i = 0; i < names.Length; i++)
        {
            var snapshot = step.ArgumentSnapshot(i);

            // A parameter named like a secret (password, apiKey...) is scrubbed as a member of that name would be.
            arguments[names[i]] = SecretNames.IsSecret(names[i]) && !SecretNames.IsHarmless(snapshot)
                ? SecretNames.Redacted
                : TraceSnapshot.ToToken(snapshot, step.TraceLimits);
        }

        return arguments;
    }

    /// <summary>A failed step's message on one line, capped so that one long message cannot swamp the tree.</summary>
    private static string DeeperNote(IReadOnlyList<ExecutedStep> children)
    {
        // Counted without recursing, for the same reason the steps are not written.
        int steps = 0;
        var pending = new Stack<ExecutedStep>(children);
        while (pending.Count > 0)
        {
            steps++;
            foreach (var child in pending.Pop().Children)
            {
                pending.Push(child);
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"<{steps} steps nested deeper than {MaxTreeDepth} levels left out>");
    }

    private static string FailureMessage(Exception exception) => Text.Truncate(MessageOf(exception).ReplaceLineEndings(" "), MaxMessageLength);

    private static string MessageOf(Exception exception)
    {
        try
        {
            // Free text, unlike arguments: keys and bearer tokens an upstream service echoed are masked as in every message.
            return Internal.Redaction.Redact(exception.Message);
        }
#pragma warning disable CA1031 // An exception whose Message throws must not fail the whole trace.
        catch (Exception)
#pragma warning restore CA1031
        {
            return $"(the {exception.GetType().Name}'s message could not be read)";
        }
    }
}
