using Newtonsoft.Json;
using Newtonsoft.Json.Converters;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Writes enums (in prompts and traces) under the names their schema and replies use (<see cref="EnumNames"/>, so
/// <see cref="System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute"/> counts); otherwise as Json.NET's
/// <see cref="StringEnumConverter"/>, which schema generation recognises.
/// </summary>
internal sealed class EnumNameConverter : StringEnumConverter
{
    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer)
    {
        if (value is Enum && EnumNames.For(value.GetType()).NameOf(value) is { } name)
        {
            writer.WriteValue(name);
            return;
        }

        base.WriteJson(writer, value, serializer);
    }
}
