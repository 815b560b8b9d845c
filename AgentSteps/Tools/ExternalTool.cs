using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentSteps.Inspection;
using Microsoft.Extensions.AI;
using NJsonSchema;

namespace AgentSteps.Tools;

/// <summary>
/// A function from <see cref="RuntimeOptions.Tools"/> that a model may call: offered as a declaration only (so that a
/// <c>FunctionInvokingChatClient</c> in the user's client does not run it a second time), invoked by the tool round, and
/// recorded as a step of kind <see cref="StepKind.Tool"/>. The call's arguments are checked against the function's own
/// schema before it runs. One per function instance in the process.
/// </summary>
internal sealed class ExternalTool
{
    private static readonly ConditionalWeakTable<AIFunction, ExternalTool> s_tools = [];
    private static readonly MethodInfo s_invokeMethod = typeof(AIFunction).GetMethod(nameof(AIFunction.InvokeAsync))!;
    private static readonly ReturnShape s_shape = ReturnShape.For(typeof(ValueTask<object>))!;

    private readonly Lazy<JsonSchema?> _validation;
    private readonly SimpleSchemaCheck? _fastCheck;

    private ExternalTool(AIFunction function)
    {
        Function = function;
        RequiresApproval = function.GetService<ApprovalRequiredAIFunction>() is not null;
        var names = PropertyNames(function.JsonSchema);
        Descriptor = new StepDescriptor(function, function.UnderlyingMethod ?? s_invokeMethod, new StepAttribute { RequiresApproval = RequiresApproval }, s_shape, names)
        {
            Description = function.Description,
            External = this,
        };
        Declaration = new OfferedDeclaration(function);
        _validation = new Lazy<JsonSchema?>(() => ValidationSchema(function.JsonSchema));
        _fastCheck = SimpleSchemaCheck.TryCreate(function.JsonSchema);
    }

    public AIFunction Function { get; }

    /// <summary>Gets what the model is offered: the function's declaration, not strict unless the function asks for it.</summary>
    public AIFunctionDeclaration Declaration { get; }

    /// <summary>Gets the descriptor the call is recorded with.</summary>
    public StepDescriptor Descriptor { get; }

    public bool RequiresApproval { get; }

    public static ExternalTool For(AIFunction function) => s_tools.GetValue(function, static f => new ExternalTool(f));

    /// <summary>
    /// Checks the model's arguments against the function's schema; returns the errors found, or none. Arguments that a
    /// simple schema's quick check passes need no JSON tree; the rest are validated in full.
    /// </summary>
    public IReadOnlyList<string> Validate(IDictionary<string, object?>? arguments, string argumentsJson)
    {
        if (_fastCheck is not null && _fastCheck.Fits(arguments))
        {
            return [];
        }

        if (_validation.Value is not { } schema)
        {
            return [];
        }

        var errors = new List<string>();
        try
        {
            foreach (var error in schema.Validate(argumentsJson))
            {
                StructuredOutput.SchemaErrors.Describe(error, errors);
            }
        }
        catch (Exception e) when (e is Newtonsoft.Json.JsonException or InvalidCastException or OverflowException or FormatException or ArgumentException)
        {
            errors.Add("$: " + e.Message);
        }

        return StructuredOutput.Correction.Cap(errors);
    }

    /// <summary>Gets the call's arguments as the trace records them: one value per property of the schema, in its order.</summary>
    public object?[] ArgumentArray(IDictionary<string, object?>? arguments)
    {
        var names = Descriptor.ArgumentNames;
        var values = new object?[names.Length];
        if (arguments is null)
        {
            return values;
        }

        for (int i = 0; i < names.Length; i++)
        {
            if (arguments.TryGetValue(names[i], out var value))
            {
                values[i] = Plain(value);
            }
        }

        return values;
    }

    /// <summary>Turns a JSON element from the provider into plain values the trace can write.</summary>
    private static object? Plain(object? value) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.TryGetInt64(out long l) ? l : e.TryGetDecimal(out decimal m) ? m : e.GetDouble(),
        JsonElement e => e.GetRawText(),
        _ => value,
    };

    private static string[] PropertyNames(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        var names = new List<string>();
        foreach (var property in properties.EnumerateObject())
        {
            names.Add(property.Name);
        }

        return [.. names];
    }

    private static JsonSchema? ValidationSchema(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        try
        {
            var text = schema.GetRawText().Replace("\"$defs\"", "\"definitions\"", StringComparison.Ordinal).Replace("#/$defs/", "#/definitions/", StringComparison.Ordinal);
            return JsonSchema.FromJsonAsync(text).GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // A schema the validator cannot read leaves the check to the function itself.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    /// <summary>The function as offered: its name, description and schemas, with strict mode off unless it asks for it.</summary>
    private sealed class OfferedDeclaration : AIFunctionDeclaration
    {
        private readonly AIFunction _function;

        public OfferedDeclaration(AIFunction function)
        {
            _function = function;
            var properties = new AdditionalPropertiesDictionary();
            foreach (var (key, value) in function.AdditionalProperties)
            {
                properties[key] = value;
            }

            // The step's options ask for strict output; a function's schema is the function's own and may not meet
            // strict mode's rules, so it is sent as it is unless the function asks for strict itself.
            properties.TryAdd("strict", false);
            AdditionalProperties = properties;
        }

        public override string Name => _function.Name;

        public override string Description => _function.Description;

        public override JsonElement JsonSchema => _function.JsonSchema;

        public override JsonElement? ReturnJsonSchema => _function.ReturnJsonSchema;

        public override IReadOnlyDictionary<string, object?> AdditionalProperties { get; }
    }
}
