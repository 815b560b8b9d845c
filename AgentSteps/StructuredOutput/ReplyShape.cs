using System.Collections;
using System.Reflection;
using Newtonsoft.Json.Serialization;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// The property names each object of an output type may have, exactly as the schema spells them, so that the reader
/// rejects unknown, wrongly cased and duplicate names (Json.NET alone matches names case-insensitively, last one wins).
/// Built once per output type from the reply serializer's contracts; it also rejects members a reply cannot set.
/// </summary>
internal sealed class ReplyShape
{
    private ReplyShape(string typeName) => TypeName = typeName;

    /// <summary>Gets the name of the type this shape reads, for messages.</summary>
    public string TypeName { get; }

    /// <summary>Gets the properties of an object, by exact name; <see langword="null"/> when this is not an object.</summary>
    public Dictionary<string, ReplyProperty>? Properties { get; private set; }

    /// <summary>Gets the shape of a collection's items; <see langword="null"/> when they are plain values.</summary>
    public ReplyShape? Items { get; private set; }

    /// <summary>Builds the shape of <paramref name="type"/>.</summary>
    /// <exception cref="OutputSchemaException">A member in the type's graph cannot be set from a reply.</exception>
    public static ReplyShape? For(Type type, IContractResolver resolver) => Build(type, resolver, []);

    /// <summary>Finds a property that differs from <paramref name="name"/> only in case, for a hint.</summary>
    public string? CaseInsensitiveMatch(string name) =>
        Properties?.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    private static ReplyShape? Build(Type type, IContractResolver resolver, Dictionary<Type, ReplyShape?> seen)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (seen.TryGetValue(type, out var known))
        {
            return known;
        }

        switch (resolver.ResolveContract(type))
        {
            case JsonObjectContract contract:
            {
                var shape = new ReplyShape(type.Name);
                seen[type] = shape;
                var properties = new Dictionary<string, ReplyProperty>(StringComparer.Ordinal);
                foreach (var property in contract.Properties)
                {
                    if (property.Ignored || !property.Readable || property.PropertyName is null)
                    {
                        continue;
                    }

                    RejectIfUnsettable(type, contract, property);
                    properties[property.PropertyName] = new ReplyProperty(properties.Count, Build(property.PropertyType!, resolver, seen));
                }

                shape.Properties = properties;
                return shape;
            }

            case JsonArrayContract array when array.CollectionItemType is { } itemType:
            {
                var shape = new ReplyShape(type.Name);
                seen[type] = shape;
                shape.Items = Build(itemType, resolver, seen);
                return shape;
            }

            default:
                seen[type] = null;
                return null;
        }
    }

    private static void RejectIfUnsettable(Type type, JsonObjectContract contract, JsonProperty property)
    {
        if (property.Writable || contract.CreatorParameters.Any(p => p.PropertyName == property.PropertyName))
        {
            return;
        }

        // Json.NET fills a get-only collection that the constructor created, if it can add to it.
        var propertyType = property.PropertyType!;
        if (!propertyType.IsArray && !propertyType.IsInterface &&
            (typeof(IList).IsAssignableFrom(propertyType) ||
             propertyType.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ICollection<>))))
        {
            return;
        }

        var member = property.UnderlyingName ?? property.PropertyName;
        var parameters = contract.CreatorParameters.Count == 0
            ? string.Empty
            : $" (its constructor takes {string.Join(", ", contract.CreatorParameters.Select(p => p.UnderlyingName ?? p.PropertyName))})";
        var kind = property.DeclaringType?.GetMember(member ?? string.Empty, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .FirstOrDefault() is FieldInfo ? "a read-only field" : "a property without a setter";
        throw new OutputSchemaException(
            $"'{type.Name}.{member}' is {kind} and no constructor parameter is named after it{parameters}, so the model's value " +
            $"for it would be dropped; give it a setter or init accessor, name a constructor parameter '{member}', or leave it out of " +
            "the schema with [JsonIgnore]");
    }
}
