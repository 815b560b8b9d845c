using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Generation;
using NJsonSchema.NewtonsoftJson.Generation;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// What an LLM step's return type asks of the model: the strict JSON schema sent as the response format, and how the
/// reply is parsed and validated. Built once per type and cached.
/// </summary>
internal sealed partial class OutputContract
{
    private static readonly ConcurrentDictionary<Type, Lazy<OutputContract>> s_cache = new();

    private readonly JsonSchema? _validationSchema;
    private readonly Type _parseType;
    private readonly Func<object?, object?>? _unwrap;
    private readonly bool _needsAnnotations;

    private OutputContract(Type resultType)
    {
        ResultType = resultType;
        if (resultType == typeof(string))
        {
            Kind = OutputKind.Text;
            _parseType = resultType;
            return;
        }

        Kind = IsObjectType(resultType) ? OutputKind.Object : OutputKind.Wrapped;
        _parseType = Kind == OutputKind.Object ? resultType : typeof(ValueWrapper<>).MakeGenericType(resultType);
        if (Kind == OutputKind.Wrapped)
        {
            _unwrap = typeof(OutputContract)
                .GetMethod(nameof(UnwrapValue), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(resultType)
                .CreateDelegate<Func<object?, object?>>();
        }
        RejectUnconstructibleTypes(resultType, new HashSet<Type>());
        _needsAnnotations = DataAnnotationsValidator.NeedsValidation(resultType);

        JObject schema;
        try
        {
            var settings = new NewtonsoftJsonSchemaGeneratorSettings
            {
                SerializerSettings = AgentStepsJson.Settings,
                SchemaType = SchemaType.JsonSchema,
                DefaultReferenceTypeNullHandling = ReferenceTypeNullHandling.NotNull,
                DefaultDictionaryValueReferenceTypeNullHandling = ReferenceTypeNullHandling.NotNull,
                FlattenInheritanceHierarchy = true,
                GenerateAbstractProperties = true,
                AllowReferencesWithProperties = false,
            };
            schema = JObject.Parse(JsonSchema.FromType(_parseType, settings).ToJson());
        }
        catch (Exception e) when (e is not OutputSchemaException)
        {
            throw new OutputSchemaException($"its schema could not be generated: {e.Message}", e);
        }

        StrictSchema.Apply(schema);
        SchemaJson = schema.ToString(Formatting.None);
        SchemaName = SchemaNameFor(resultType);
        ResponseFormat = ChatResponseFormat.ForJsonSchema(
            JsonDocument.Parse(SchemaJson).RootElement.Clone(), SchemaName, schemaDescription: null);

        // NJsonSchema resolves references under "definitions", so validate against the same schema spelled that way.
        var forValidation = (JObject)schema.DeepClone();
        if (forValidation["$defs"] is JToken defs)
        {
            forValidation.Remove("$defs");
            forValidation["definitions"] = defs;
        }

        _validationSchema = JsonSchema.FromJsonAsync(
            forValidation.ToString(Formatting.None).Replace("#/$defs/", "#/definitions/", StringComparison.Ordinal))
            .GetAwaiter().GetResult();
    }

    public Type ResultType { get; }

    public OutputKind Kind { get; }

    /// <summary>Gets the strict schema as JSON text, or <see langword="null"/> for text output.</summary>
    public string? SchemaJson { get; }

    public string? SchemaName { get; }

    /// <summary>Gets the response format sent with every call, or <see langword="null"/> for text output.</summary>
    public ChatResponseFormat? ResponseFormat { get; }

    /// <summary>Gets the contract for <paramref name="resultType"/>, building it on first use.</summary>
    /// <exception cref="OutputSchemaException">The type cannot be a structured output.</exception>
    public static OutputContract For(Type resultType)
    {
        var lazy = s_cache.GetOrAdd(resultType, static t => new Lazy<OutputContract>(() => new OutputContract(t)));
        try
        {
            return lazy.Value;
        }
        catch (OutputSchemaException)
        {
            s_cache.TryRemove(resultType, out _);
            throw;
        }
    }

    /// <summary>Builds a contract without the cache, to measure the first build.</summary>
    internal static OutputContract CreateUncached(Type resultType) => new(resultType);

    /// <summary>
    /// Parses and validates a reply; on failure returns <see langword="false"/> with every error found. A valid reply is
    /// read directly by the strict reply serializer; only an invalid one pays for a JSON tree and schema validation, which
    /// say exactly what is wrong.
    /// </summary>
    public bool TryParse(string reply, out object? result, out IReadOnlyList<string> errors)
    {
        result = null;
        errors = [];
        if (Kind == OutputKind.Text)
        {
            result = reply;
            return true;
        }

        var json = StripCodeFence(reply);
        object? parsed = null;
        Exception? failure = null;
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { MaxDepth = AgentStepsJson.MaxDepth, DateParseHandling = DateParseHandling.None };
            parsed = AgentStepsJson.ReplySerializer.Deserialize(reader, _parseType);
        }
        catch (Newtonsoft.Json.JsonException e)
        {
            failure = e;
        }

        if (failure is not null || parsed is null)
        {
            errors = Diagnose(json, failure);
            return false;
        }

        if (_needsAnnotations)
        {
            var found = new List<string>();
            DataAnnotationsValidator.Validate(parsed, found);
            if (found.Count > 0)
            {
                errors = found;
                return false;
            }
        }

        result = _unwrap is null ? parsed : _unwrap(parsed);
        return true;
    }

    private List<string> Diagnose(string json, Exception? failure)
    {
        var found = new List<string>();
        JToken token;
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { MaxDepth = AgentStepsJson.MaxDepth, DateParseHandling = DateParseHandling.None };
            token = JToken.ReadFrom(reader);
            if (reader.Read())
            {
                found.Add("The reply has more text after the JSON value; reply with one JSON object only.");
                return found;
            }
        }
        catch (JsonReaderException e)
        {
            found.Add($"The reply is not valid JSON: {e.Message}");
            return found;
        }

        foreach (var error in _validationSchema!.Validate(token))
        {
            Describe(error, found);
        }

        if (found.Count == 0)
        {
            found.Add($"The reply does not fit {ResultType.Name}: {failure?.Message ?? "it is null"}");
        }

        return found;
    }

    private static object? UnwrapValue<T>(object? wrapper) => wrapper is ValueWrapper<T> w ? w.Value : null;

    private static void Describe(NJsonSchema.Validation.ValidationError error, List<string> found)
    {
        if (error is NJsonSchema.Validation.ChildSchemaValidationError child)
        {
            foreach (var nested in child.Errors.SelectMany(e => e.Value))
            {
                Describe(nested, found);
            }

            if (child.Errors.Count > 0)
            {
                return;
            }
        }

        var path = string.IsNullOrEmpty(error.Path) ? "#" : error.Path;
        found.Add($"{path}: {error.Kind}" + (error.Property is { Length: > 0 } p && !path.EndsWith(p, StringComparison.Ordinal) ? $" ({p})" : string.Empty));
    }

    private static string StripCodeFence(string reply)
    {
        // Providers without native structured output sometimes fence the JSON as markdown.
        var trimmed = reply.Trim();
        if (!trimmed.StartsWith("```", StringComparison.Ordinal) || !trimmed.EndsWith("```", StringComparison.Ordinal) || trimmed.Length < 6)
        {
            return trimmed;
        }

        int firstLineEnd = trimmed.IndexOf('\n', StringComparison.Ordinal);
        return firstLineEnd < 0 ? trimmed : trimmed[(firstLineEnd + 1)..^3];
    }

    private static bool IsObjectType(Type type) =>
        !DataAnnotationsValidator.IsSimple(type) &&
        Nullable.GetUnderlyingType(type) is null &&
        !typeof(IEnumerable).IsAssignableFrom(type) &&
        (type.IsClass || type.IsValueType);

    private static void RejectUnconstructibleTypes(Type type, HashSet<Type> seen)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (DataAnnotationsValidator.IsSimple(type) || !seen.Add(type))
        {
            return;
        }

        if (type == typeof(object) || typeof(JToken).IsAssignableFrom(type))
        {
            throw new OutputSchemaException($"'{type.Name}' is untyped, which strict mode cannot express; use a concrete type");
        }

        if (type.IsArray)
        {
            RejectUnconstructibleTypes(type.GetElementType()!, seen);
            return;
        }

        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                RejectUnconstructibleTypes(argument, seen);
            }

            if (typeof(IEnumerable).IsAssignableFrom(type))
            {
                return;
            }
        }

        if (type.IsInterface || type.IsAbstract)
        {
            throw new OutputSchemaException(
                $"'{type.Name}' is abstract or an interface, which a reply cannot be parsed into; use a concrete type");
        }

        foreach (var property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0 && property.GetCustomAttributes(typeof(JsonIgnoreAttribute), true).Length == 0)
            {
                RejectUnconstructibleTypes(property.PropertyType, seen);
            }
        }
    }

    private static string SchemaNameFor(Type type)
    {
        var name = SchemaNameCharacters().Replace(type.IsGenericType ? type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] : type.Name, "_");
        return name.Length > 64 ? name[..64] : name;
    }

    [GeneratedRegex("[^a-zA-Z0-9_-]")]
    private static partial Regex SchemaNameCharacters();
}
