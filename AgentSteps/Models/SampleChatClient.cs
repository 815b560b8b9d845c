using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// An offline <see cref="IChatClient"/> that answers every request at once with a deterministic sample: for a JSON-schema
/// response format, a value that satisfies the schema's types, required properties, enums, formats, number bounds and item
/// counts; for plain text, a short sample sentence. Use it for tests and to run workflows with no model.
/// </summary>
/// <remarks>
/// <para>
/// Strings are <c>"Sample &lt;property&gt;"</c>, numbers are the smallest allowed or 1, arrays have two items (within
/// <c>minItems</c>/<c>maxItems</c>). A string <c>pattern</c> is not followed; DataAnnotations the schema cannot express
/// are not either.
/// </para>
/// <para>
/// Booleans and nullable values vary over the calls of the same request (the same system prompt and schema) within one
/// run, so that a loop waiting for a flag or for a value to become <see langword="null"/> ends offline, as it would with a
/// model: the first call answers <see langword="false"/> and fills nullables (a validation step says "invalid", with a
/// reason), the second <see langword="true"/> and <see langword="null"/>, the third <see langword="false"/> and
/// <see langword="null"/>, the fourth <see langword="true"/> and filled; then again. Calls are counted per ambient
/// <see cref="Runtime"/> (per client when none is open), so each run sees the same answers.
/// </para>
/// <para>
/// Offered tools are called: the first reply calls every offered function once, with sample arguments from its schema;
/// the next answers. A step whose output is a union answers by calling one of its output tools.
/// </para>
/// <para>
/// The response's <see cref="ChatResponse.ModelId"/> says the sample answered (<c>sample (for gpt-4o-mini)</c>), and it
/// reports no <see cref="ChatResponse.Usage"/>: no tokens were used.
/// </para>
/// </remarks>
public sealed class SampleChatClient : IChatClient
{
    /// <summary>The model id reported when a request names none.</summary>
    public const string DefaultModelId = "sample";

    private const int MaxDepth = 16;
    private const int ShallowDepth = 6;

    // Keys (system prompt and schema) remembered per client outside any run before the counts start over.
    private const int MaxCountsOutsideRuns = 1024;

    private readonly ConditionalWeakTable<Runtime, ConcurrentDictionary<string, int>> _countsByRun = new();
    private readonly ConcurrentDictionary<string, int> _countsOutsideRuns = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        if (options?.Tools is { Count: > 0 } tools && ToolCalls(list, tools) is { } calls)
        {
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, calls))
            {
                ModelId = options.ModelId is { Length: > 0 } toolModel ? $"{DefaultModelId} (for {toolModel})" : DefaultModelId,
                FinishReason = ChatFinishReason.ToolCalls,
            });
        }

        string text;
        if (options?.ResponseFormat is ChatResponseFormatJson { Schema: { } schema })
        {
            var variant = NextVariant(list, schema);
            text = Sample(schema, schema, "value", 0, variant)?.ToJsonString() ?? "null";
        }
        else
        {
            text = "Sample reply to: " + (list.Count > 0 ? list[^1].Text : string.Empty);
        }

        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            // Says who answered, so a trace cannot pass the sample off as the model the step asked for.
            ModelId = options?.ModelId is { Length: > 0 } model ? $"{DefaultModelId} (for {model})" : DefaultModelId,
            FinishReason = ChatFinishReason.Stop,
        };
        return Task.FromResult(response);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        ChatResponseStreaming.StreamAsync(GetResponseAsync(messages, options, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType?.IsInstanceOfType(this) == true ? this : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>
    /// Calls, in one reply, every offered function the conversation has not called yet, with sample arguments; once all
    /// have been called, answers a union step by calling one of its output tools (the variant varies over the run's calls
    /// as booleans do). Returns <see langword="null"/> when the reply should be an answer in text or JSON.
    /// </summary>
    private List<AIContent>? ToolCalls(IList<ChatMessage> messages, IList<AITool> tools)
    {
        var called = new HashSet<string>(StringComparer.Ordinal);
        int previous = 0;
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent call)
                {
                    called.Add(call.Name);
                    previous++;
                }
            }
        }

        var calls = new List<AIContent>();
        List<AIFunctionDeclaration>? outputs = null;
        foreach (var tool in tools)
        {
            if (tool is Tools.UnionOutput.Variant output)
            {
                (outputs ??= []).Add(output);
            }
            else if (tool is AIFunctionDeclaration function && !called.Contains(function.Name))
            {
                calls.Add(new FunctionCallContent(CallId(previous + calls.Count + 1), function.Name, SampleArguments(function.JsonSchema, 0)));
            }
        }

        if (calls.Count == 0 && outputs is not null)
        {
            var pick = outputs[NextVariant(messages, outputs[0].JsonSchema) % outputs.Count];
            calls.Add(new FunctionCallContent(CallId(previous + 1), pick.Name, SampleArguments(pick.JsonSchema, 0)));
        }

        return calls.Count == 0 ? null : calls;
    }

    private static string CallId(int number) => "call_sample_" + number.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, object?> SampleArguments(JsonElement schema, int variant)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (schema.ValueKind == JsonValueKind.Object && Sample(schema, schema, "arguments", 0, variant) is JsonObject sample)
        {
            foreach (var (name, value) in sample)
            {
                arguments[name] = value is null ? null : JsonDocument.Parse(value.ToJsonString()).RootElement.Clone();
            }
        }

        return arguments;
    }

    /// <summary>Counts this call among the calls of the same request in the run: 0 for the first.</summary>
    private int NextVariant(IList<ChatMessage> messages, JsonElement schema)
    {
        var system = messages.FirstOrDefault(m => m.Role == ChatRole.System)?.Text ?? string.Empty;
        var key = system + "\n" + schema.GetRawText();
        ConcurrentDictionary<string, int> counts;
        if (Runtime.CurrentOrNull is { } run)
        {
            counts = _countsByRun.GetOrCreateValue(run);
        }
        else
        {
            counts = _countsOutsideRuns;
            if (counts.Count >= MaxCountsOutsideRuns && !counts.ContainsKey(key))
            {
                counts.Clear();
            }
        }

        return counts.AddOrUpdate(key, 0, static (_, count) => count + 1) % 4;
    }

    // Variant 0: booleans false, nullables filled; 1: true and null; 2: false and null; 3: true and filled.
    private static JsonNode? Sample(JsonElement root, JsonElement schema, string name, int depth, int variant)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var path = reference.GetString() ?? string.Empty;
            if (path == "#")
            {
                return depth > MaxDepth ? null : Sample(root, root, name, depth + 1, variant);
            }

            var definitionName = path[(path.LastIndexOf('/') + 1)..];
            foreach (var container in new[] { "$defs", "definitions" })
            {
                if (root.TryGetProperty(container, out var definitions) && definitions.TryGetProperty(definitionName, out var definition))
                {
                    return depth > MaxDepth ? null : Sample(root, definition, name, depth + 1, variant);
                }
            }

            return null;
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            return JsonNode.Parse(constant.GetRawText());
        }

        if (schema.TryGetProperty("enum", out var values) && values.GetArrayLength() > 0)
        {
            return JsonNode.Parse(values[0].GetRawText());
        }

        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            // Deep down, take the null option where there is one, so recursive types end.
            JsonElement? nonNull = null;
            bool allowsNull = false;
            foreach (var option in anyOf.EnumerateArray())
            {
                if (IsNullType(option))
                {
                    allowsNull = true;
                }
                else
                {
                    nonNull ??= option;
                }
            }

            return nonNull is not { } pick || (allowsNull && (depth > ShallowDepth || NullVariant(variant))) ? null : Sample(root, pick, name, depth + 1, variant);
        }

        if (NullVariant(variant) && AllowsNullType(schema))
        {
            return null;
        }

        var type = PickType(schema);
        switch (type)
        {
            case "object":
                var result = new JsonObject();
                if (schema.TryGetProperty("properties", out var properties))
                {
                    foreach (var property in properties.EnumerateObject())
                    {
                        result[property.Name] = depth > MaxDepth ? null : Sample(root, property.Value, property.Name, depth + 1, variant);
                    }
                }

                return result;
            case "array":
                // Two items, within the bounds; deep down as few as allowed, so recursive types end.
                int count = Math.Min(Math.Max(depth > ShallowDepth ? 0 : 2, Bound(schema, "minItems", 0)), Bound(schema, "maxItems", int.MaxValue));
                var array = new JsonArray();
                if (schema.TryGetProperty("items", out var items) && depth <= MaxDepth)
                {
                    for (int i = 1; i <= count; i++)
                    {
                        array.Add(Sample(root, items, count == 1 ? name : $"{name} {i}", depth + 1, variant));
                    }
                }

                return array;
            case "string":
                return JsonValue.Create(SampleString(schema, name));
            case "integer":
                return JsonValue.Create((long)NumberBound(schema, 1));
            case "number":
                return JsonValue.Create(NumberBound(schema, 1.5));
            case "boolean":
                return JsonValue.Create(variant is 1 or 3);
            default:
                return null;
        }
    }

    private static bool NullVariant(int variant) => variant is 1 or 2;

    private static bool IsNullType(JsonElement schema) => PickType(schema) == "null";

    private static bool AllowsNullType(JsonElement schema) =>
        schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array &&
        type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.GetString() == "null");

    private static string? PickType(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            return schema.TryGetProperty("properties", out _) ? "object" : null;
        }

        if (type.ValueKind == JsonValueKind.String)
        {
            return type.GetString();
        }

        string? picked = null;
        foreach (var option in type.EnumerateArray())
        {
            picked = option.GetString();
            if (picked != "null")
            {
                break;
            }
        }

        return picked;
    }

    private static int Bound(JsonElement schema, string keyword, int fallback) =>
        schema.TryGetProperty(keyword, out var value) && value.TryGetInt32(out var bound) ? bound : fallback;

    private static double NumberBound(JsonElement schema, double fallback)
    {
        double value = fallback;
        if (schema.TryGetProperty("minimum", out var minimum))
        {
            value = Math.Max(value, minimum.GetDouble());
        }

        if (schema.TryGetProperty("exclusiveMinimum", out var exclusiveMinimum) && exclusiveMinimum.ValueKind == JsonValueKind.Number)
        {
            value = Math.Max(value, exclusiveMinimum.GetDouble() + 1);
        }

        if (schema.TryGetProperty("maximum", out var maximum))
        {
            value = Math.Min(value, maximum.GetDouble());
        }

        if (schema.TryGetProperty("exclusiveMaximum", out var exclusiveMaximum) && exclusiveMaximum.ValueKind == JsonValueKind.Number)
        {
            value = Math.Min(value, exclusiveMaximum.GetDouble() - 1);
        }

        return value;
    }

    private static string SampleString(JsonElement schema, string name)
    {
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;

        // The strict schema spells TimeOnly as a pattern, and a URI or a char as a note in the description.
        if (schema.TryGetProperty("pattern", out var pattern) && pattern.GetString() == StructuredOutput.IsoText.TimePattern)
        {
            return "12:00:00";
        }

        var description = schema.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() ?? string.Empty : string.Empty;
        if (description.Contains("an absolute URI", StringComparison.Ordinal))
        {
            return "https://example.com/";
        }

        if (description.Contains("exactly 1 character)", StringComparison.Ordinal))
        {
            return "A";
        }

        return format switch
        {
            "date-time" => "2026-01-01T12:00:00Z",
            "date" => "2026-01-01",
            "time" => "12:00:00",
            "duration" => "PT1H",
            "email" => "sample@example.com",
            "hostname" => "example.com",
            "ipv4" => "192.0.2.1",
            "ipv6" => "2001:db8::1",
            "uuid" => "00000000-0000-4000-8000-000000000001",
            _ => string.Create(CultureInfo.InvariantCulture, $"Sample {name}"),
        };
    }
}
