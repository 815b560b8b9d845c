using System.Collections;
using System.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// The contract for reading model replies as strictly as the strict schema describes them: every property present
/// (non-nullable ones not null), no unknown properties (set on the serializer; <see cref="ReplyReader"/> also rejects
/// wrongly cased names, which Json.NET would match), private setters used, strings, booleans and numbers only from
/// tokens of their own type, in properties and in collection items. It lets a valid reply be read directly, with no
/// separate schema validation; an invalid one is then diagnosed against the schema.
/// </summary>
internal sealed class StrictContractResolver : AgentStepsContractResolver
{
    protected override JsonContract CreateContract(Type objectType)
    {
        // Values met anywhere (nested collections included) are read as strictly as properties; a reference type's
        // nullability is unknown here, and the schema makes such values non-null.
        var contract = base.CreateContract(objectType);
        contract.Converter ??= StrictValueConverter.For(objectType, allowNull: false);
        return contract;
    }

    private readonly NullabilityInfoContext _nullability = new();

    protected override JsonProperty CreateProperty(MemberInfo member, MemberSerialization memberSerialization)
    {
        var property = base.CreateProperty(member, memberSerialization);
        if (!property.Writable && !property.Ignored && member is PropertyInfo { SetMethod: not null })
        {
            // The schema asks for the property, so a private setter is used rather than the value dropped.
            property.Writable = true;
        }

        var nullability = Nullability(member);
        bool allowsNull = member.DeclaringType is { IsGenericType: true } declaring && declaring.GetGenericTypeDefinition() == typeof(ValueWrapper<>)
            ? Nullable.GetUnderlyingType(property.PropertyType!) is not null // A wrapped result is null only when its type says so.
            : nullability?.ReadState != NullabilityState.NotNull || Nullable.GetUnderlyingType(property.PropertyType!) is not null;
        if (property.Required == Required.Default)
        {
            property.Required = allowsNull ? Required.AllowNull : Required.Always;
        }

        property.Converter ??= StrictValueConverter.For(property.PropertyType!, allowsNull);
        var itemType = ItemType(property.PropertyType!);
        if (itemType is not null && property.ItemConverter is null)
        {
            var itemNullability = nullability?.ElementType ?? (nullability?.GenericTypeArguments is [var single] ? single : null);
            property.ItemConverter = StrictValueConverter.For(itemType, itemNullability?.ReadState != NullabilityState.NotNull);
        }

        return property;
    }

    protected override JsonProperty CreatePropertyFromConstructorParameter(JsonProperty? matchingMemberProperty, ParameterInfo parameterInfo)
    {
        // Records are read through their constructor: its parameters must be as strict as the properties they fill.
        var property = base.CreatePropertyFromConstructorParameter(matchingMemberProperty, parameterInfo);
        if (matchingMemberProperty is not null)
        {
            property.Required = matchingMemberProperty.Required;
            property.Converter ??= matchingMemberProperty.Converter;
            property.ItemConverter ??= matchingMemberProperty.ItemConverter;
        }

        return property;
    }

    private static Type? ItemType(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }

    private NullabilityInfo? Nullability(MemberInfo member)
    {
        // NullabilityInfoContext is not thread-safe; contracts are built once per type, so the lock is off the hot path.
        lock (_nullability)
        {
            return member switch
            {
                PropertyInfo property => _nullability.Create(property),
                FieldInfo field => _nullability.Create(field),
                _ => null,
            };
        }
    }
}
