using System.Globalization;
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
/// Strings are <c>"Sample &lt;property&gt;"</c>, booleans are <see langword="true"/>, numbers are the smallest allowed or 1,
/// arrays have two items (within <c>minItems</c>/<c>maxItems</c>), and nullable values are filled. A string <c>pattern</c>
/// is not followed; DataAnnotations the schema cannot express are not either.
/// </remarks>
public sealed class SampleChatClient : IChatClient
{
    /// <summary>The model id reported when a request names none.</summary>
    public const string DefaultModelId = "sample";

    private const int MaxDepth = 16;
    private const int ShallowDepth = 6;

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        string text = options?.ResponseFormat is ChatResponseFormatJson { Schema: { } schema }
            ? Sample(schema, schema, "value", 0)?.ToJsonString() ?? "null"
            : "Sample reply to: " + (list.Count > 0 ? list[^1].Text : string.Empty);

        long input = list.Sum(m => (long)CountWords(m.Text));
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = options?.ModelId ?? DefaultModelId,
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = CountWords(text), TotalTokenCount = input + CountWords(text) },
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

    private static int CountWords(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static JsonNode? Sample(JsonElement root, JsonElement schema, string name, int depth)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var path = reference.GetString() ?? string.Empty;
            if (path == "#")
            {
                return depth > MaxDepth ? null : Sample(root, root, name, depth + 1);
            }

            var definitionName = path[(path.LastIndexOf('/') + 1)..];
            foreach (var container in new[] { "$defs", "definitions" })
            {
                if (root.TryGetProperty(container, out var definitions) && definitions.TryGetProperty(definitionName, out var definition))
                {
                    return depth > MaxDepth ? null : Sample(root, definition, name, depth + 1);
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

            return nonNull is not { } pick || (allowsNull && depth > ShallowDepth) ? null : Sample(root, pick, name, depth + 1);
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
                        result[property.Name] = depth > MaxDepth ? null : Sample(root, property.Value, property.Name, depth + 1);
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
                        array.Add(Sample(root, items, count == 1 ? name : $"{name} {i}", depth + 1));
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
                return JsonValue.Create(true);
            default:
                return null;
        }
    }

    private static bool IsNullType(JsonElement schema) => PickType(schema) == "null";

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
