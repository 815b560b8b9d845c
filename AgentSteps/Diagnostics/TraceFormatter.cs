using System.Globalization;
using System.Text;
using AgentSteps.StructuredOutput;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Diagnostics;

/// <summary>Writes a run's call tree as text and as JSON.</summary>
internal static class TraceFormatter
{
    public static string FormatTree(IReadOnlyList<ExecutedStep> roots)
    {
        var text = new StringBuilder();
        foreach (var root in OrderByStart(roots))
        {
            Append(text, root, string.Empty, string.Empty);
        }

        return text.ToString();
    }

    public static string ToJson(IReadOnlyList<ExecutedStep> roots, Guid runId, bool indented)
    {
        var json = new JObject
        {
            ["runId"] = runId.ToString(),
            ["steps"] = new JArray(OrderByStart(roots).Select(ToJson)),
        };
        return json.ToString(indented ? Formatting.Indented : Formatting.None);
    }

    private static IEnumerable<ExecutedStep> OrderByStart(IEnumerable<ExecutedStep> steps) => steps.OrderBy(s => s.StartedAt);

    private static void Append(StringBuilder text, ExecutedStep step, string indent, string childIndent)
    {
        text.Append(indent).AppendLine(step.ToString());
        var children = OrderByStart(step.Children).ToList();
        for (int i = 0; i < children.Count; i++)
        {
            bool last = i == children.Count - 1;
            Append(text, children[i], childIndent + (last ? "└─ " : "├─ "), childIndent + (last ? "   " : "│  "));
        }
    }

    private static JObject ToJson(ExecutedStep step)
    {
        var json = new JObject
        {
            ["name"] = step.Name,
            ["workflow"] = step.Workflow,
            ["kind"] = step.Kind.ToString(),
            ["loop"] = step.Loop,
            ["startedAt"] = step.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["durationMs"] = Math.Round(step.Duration.TotalMilliseconds, 3),
            ["arguments"] = new JObject(step.Arguments.Select(a => new JProperty(a.Key, ToToken(a.Value)))),
        };
        if (step.Model is not null)
        {
            json["model"] = step.Model;
            json["modelCalls"] = step.ModelCalls;
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
            json["error"] = new JObject { ["type"] = exception.GetType().FullName, ["message"] = exception.Message };
        }
        else
        {
            json["result"] = ToToken(step.Result);
        }

        json["children"] = new JArray(OrderByStart(step.Children).Select(ToJson));
        return json;
    }

    private static JToken ToToken(object? value)
    {
        if (value is null)
        {
            return JValue.CreateNull();
        }

        try
        {
            return JToken.FromObject(value, AgentStepsJson.Serializer);
        }
        catch (JsonException)
        {
            // A value Json.NET cannot write still shows in the trace, as text.
            return value.ToString();
        }
    }
}
