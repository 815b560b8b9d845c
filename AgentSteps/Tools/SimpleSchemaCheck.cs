using System.Text.Json;

namespace AgentSteps.Tools;

/// <summary>
/// A check of a function's arguments that needs no JSON tree, for the common schema: an object whose properties are
/// plain values (string, integer, number, boolean, null, or a list of those types), with <c>required</c>, <c>enum</c> and
/// <c>additionalProperties</c>. It only ever says "fits": anything it does not follow, and any misfit, is left to the full
/// validator, which writes the errors. Built once per function; <see langword="null"/> when the schema is not of that kind.
/// </summary>
internal sealed class SimpleSchemaCheck
{
    private static readonly HashSet<string> s_propertyKeywords = new(StringComparer.Ordinal) { "type", "description", "title", "default", "enum", "examples" };
    private static readonly HashSet<string> s_rootKeywords = new(StringComparer.Ordinal) { "type", "description", "title", "properties", "required", "additionalProperties", "$schema" };

    private readonly Dictionary<string, Property> _properties;
    private readonly string[] _required;
    private readonly bool _closed;

    private SimpleSchemaCheck(Dictionary<string, Property> properties, string[] required, bool closed)
    {
        _properties = properties;
        _required = required;
        _closed = closed;
    }

    public static SimpleSchemaCheck? TryCreate(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var properties = new Dictionary<string, Property>(StringComparer.Ordinal);
        var required = new List<string>();
        bool closed = false;
        foreach (var keyword in schema.EnumerateObject())
        {
            if (!s_rootKeywords.Contains(keyword.Name))
            {
                return null;
            }

            switch (keyword.Name)
            {
                case "type" when keyword.Value.ValueKind != JsonValueKind.String || keyword.Value.GetString() != "object":
                    return null;
                case "additionalProperties":
                    if (keyword.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return null;
                    }

                    closed = keyword.Value.ValueKind == JsonValueKind.False;
                    break;
                case "required":
                    if (keyword.Value.ValueKind != JsonValueKind.Array)
                    {
                        return null;
                    }

                    foreach (var name in keyword.Value.EnumerateArray())
                    {
                        if (name.ValueKind != JsonValueKind.String)
                        {
                            return null;
                        }

                        required.Add(name.GetString()!);
                    }

                    break;
                case "properties":
                    if (keyword.Value.ValueKind != JsonValueKind.Object)
                    {
                        return null;
                    }

                    foreach (var property in keyword.Value.EnumerateObject())
                    {
                        if (Property.TryCreate(property.Value) is not { } parsed)
                        {
                            return null;
                        }

                        properties[property.Name] = parsed;
                    }

                    break;
            }
        }

        return new SimpleSchemaCheck(properties, [.. required], closed);
    }

    /// <summary>Gets whether the arguments certainly fit; <see langword="false"/> means "ask the full validator".</summary>
    public bool Fits(IDictionary<string, object?>? arguments)
    {
        foreach (var name in _required)
        {
            if (arguments is null || !arguments.ContainsKey(name))
            {
                return false;
            }
        }

        if (arguments is null)
        {
            return true;
        }

        foreach (var (name, value) in arguments)
        {
            if (!_properties.TryGetValue(name, out var property))
            {
                if (_closed)
                {
                    return false;
                }

                continue;
            }

            bool fits = value switch
            {
                null => property.FitsNull,
                JsonElement element => property.Fits(element),
                _ => false,
            };
            if (!fits)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Property
    {
        private const int String = 1, Integer = 2, Number = 4, Boolean = 8, Null = 16;

        private int _types;
        private JsonElement[]? _enum;

        public static Property? TryCreate(JsonElement schema)
        {
            if (schema.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var property = new Property();
            foreach (var keyword in schema.EnumerateObject())
            {
                if (!s_propertyKeywords.Contains(keyword.Name))
                {
                    return null;
                }

                if (keyword.Name == "type")
                {
                    if (keyword.Value.ValueKind == JsonValueKind.String)
                    {
                        property._types = TypeFlag(keyword.Value.GetString());
                    }
                    else if (keyword.Value.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var type in keyword.Value.EnumerateArray())
                        {
                            int flag = type.ValueKind == JsonValueKind.String ? TypeFlag(type.GetString()) : 0;
                            if (flag == 0)
                            {
                                return null;
                            }

                            property._types |= flag;
                        }
                    }

                    if (property._types == 0)
                    {
                        return null;
                    }
                }
                else if (keyword.Name == "enum")
                {
                    if (keyword.Value.ValueKind != JsonValueKind.Array)
                    {
                        return null;
                    }

                    property._enum = [.. keyword.Value.EnumerateArray().Select(e => e.Clone())];
                }
            }

            return property._types == 0 ? null : property;
        }

        public bool FitsNull => (_types & Null) != 0 && (_enum is null || _enum.Any(e => e.ValueKind == JsonValueKind.Null));

        public bool Fits(JsonElement value)
        {
            bool typed = value.ValueKind switch
            {
                JsonValueKind.String => (_types & String) != 0,
                JsonValueKind.Number => (_types & Number) != 0 || ((_types & Integer) != 0 && value.TryGetInt64(out _)),
                JsonValueKind.True or JsonValueKind.False => (_types & Boolean) != 0,
                JsonValueKind.Null => (_types & Null) != 0,
                _ => false,
            };
            if (!typed)
            {
                return false;
            }

            if (_enum is null)
            {
                return true;
            }

            foreach (var allowed in _enum)
            {
                if (JsonElement.DeepEquals(allowed, value))
                {
                    return true;
                }
            }

            return false;
        }

        private static int TypeFlag(string? type) => type switch
        {
            "string" => String,
            "integer" => Integer,
            "number" => Number,
            "boolean" => Boolean,
            "null" => Null,
            _ => 0,
        };
    }
}
