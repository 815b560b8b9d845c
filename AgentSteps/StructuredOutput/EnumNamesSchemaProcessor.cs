using NJsonSchema.Generation;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Writes an enum's values into its schema under the names replies are read with (<see cref="EnumNames"/>), so that
/// <see cref="System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute"/> renames reach the schema too.
/// </summary>
internal sealed class EnumNamesSchemaProcessor : ISchemaProcessor
{
    public void Process(SchemaProcessorContext context)
    {
        var type = Nullable.GetUnderlyingType(context.ContextualType.Type) ?? context.ContextualType.Type;
        if (!type.IsEnum || context.Schema.Enumeration.Count == 0)
        {
            return;
        }

        context.Schema.Enumeration.Clear();
        context.Schema.EnumerationNames.Clear();
        foreach (var name in EnumNames.For(type).Names)
        {
            context.Schema.Enumeration.Add(name);
        }
    }
}
