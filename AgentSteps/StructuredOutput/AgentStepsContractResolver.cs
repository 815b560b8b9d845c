using System.Reflection;
using System.Text.Json.Serialization;
using Newtonsoft.Json.Serialization;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// The contract AgentSteps reads and writes JSON with, and builds schemas from: Json.NET's, plus the System.Text.Json
/// attributes a .NET developer puts on their types today (<see cref="JsonPropertyNameAttribute"/>,
/// <see cref="System.Text.Json.Serialization.JsonIgnoreAttribute"/>), which Json.NET alone ignores; and constructor
/// parameters matched to the members they set by member name, so renaming a property does not unbind its parameter.
/// Made for inheritance by <see cref="StrictContractResolver"/>.
/// </summary>
internal class AgentStepsContractResolver : DefaultContractResolver
{
    /// <summary>The one instance for writing and for schemas (a resolver caches its contracts).</summary>
    public static readonly AgentStepsContractResolver Instance = new();

    protected override JsonProperty CreateProperty(MemberInfo member, Newtonsoft.Json.MemberSerialization memberSerialization)
    {
        var property = base.CreateProperty(member, memberSerialization);
        if (member.GetCustomAttribute<JsonPropertyNameAttribute>() is { } name &&
            member.GetCustomAttribute<Newtonsoft.Json.JsonPropertyAttribute>()?.PropertyName is null)
        {
            property.PropertyName = name.Name;
        }

        if (member.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always })
        {
            property.Ignored = true;
        }

        return property;
    }

    protected override IList<JsonProperty> CreateConstructorParameters(ConstructorInfo constructor, JsonPropertyCollection memberProperties)
    {
        var parameters = new JsonPropertyCollection(constructor.DeclaringType!);
        foreach (var parameter in constructor.GetParameters())
        {
            if (parameter.Name is null)
            {
                continue;
            }

            var match = memberProperties.FirstOrDefault(p => p.UnderlyingName == parameter.Name && p.PropertyType == parameter.ParameterType) ??
                        memberProperties.FirstOrDefault(p => string.Equals(p.UnderlyingName, parameter.Name, StringComparison.OrdinalIgnoreCase) && p.PropertyType == parameter.ParameterType);
            if (match is null && memberProperties.GetClosestMatchProperty(parameter.Name) is { } byName && byName.PropertyType == parameter.ParameterType)
            {
                match = byName;
            }

            if (CreatePropertyFromConstructorParameter(match, parameter) is { } property)
            {
                parameters.AddProperty(property);
            }
        }

        return parameters;
    }
}
