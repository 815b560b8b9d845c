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
    private readonly ReplyShape? _shape;

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
        _shape = ReplyShape.For(_parseType, AgentStepsJson.ReplySerializer.ContractResolver);
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

                // Descriptions only from the user's [Description]s: XML docs would send AgentSteps' own (ValueWrapper's) too.
                UseXmlDocumentation = false,
            };
            settings.SchemaProcessors.Add(new EnumNamesSchemaProcessor());

            // What the reader accepts, exactly: a wall-clock time without a zone, and one character.
            settings.TypeMappers.Add(new NJsonSchema.Generation.TypeMappers.PrimitiveTypeMapper(typeof(TimeOnly), s =>
            {
                s.Type = JsonObjectType.String;
                s.Pattern = IsoText.TimePattern;
            }));
            settings.TypeMappers.Add(new NJsonSchema.Generation.TypeMappers.PrimitiveTypeMapper(typeof(char), s =>
            {
                s.Type = JsonObjectType.String;
                s.MinLength = 1;
                s.MaxLength = 1;
            }));
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

        if (!ReplyText.TryExtract(reply, out var json, out var extractError))
        {
            errors = [extractError!];
            return false;
        }

        object? parsed = null;
        Exception? failure = null;
        try
        {
            using var reader = new ReplyReader(json, _shape);
            parsed = AgentStepsJson.ReplySerializer.Deserialize(reader, _parseType);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or InsufficientExecutionStackException))
        {
            // Model output is untrusted: whatever it makes fail (a user constructor included) is a correction, never a crash.
            failure = e;
        }

        if (failure is not null || parsed is null)
        {
            errors = Correction.Cap(Diagnose(json, failure));
            return false;
        }

        if (_needsAnnotations)
        {
            var found = new List<string>();
            try
            {
                DataAnnotationsValidator.Validate(parsed, found);
            }
            catch (Exception e) when (e is not (OutOfMemoryException or InsufficientExecutionStackException))
            {
                // A user's IValidatableObject or validation attribute threw on the model's value: a correction, not a crash.
                found.Add("$: validation failed: " + e.Message);
            }

            if (found.Count > 0)
            {
                errors = Correction.Cap(found);
                return false;
            }
        }

        result = _unwrap is null ? parsed : _unwrap(parsed);
        return true;
    }

    private List<string> Diagnose(string json, Exception? failure)
    {
        var found = new List<string>();
        if (failure is ReplyException { IsSyntax: true } syntax)
        {
            found.Add(syntax.Message);
            return found;
        }

        // Read the reply again as a tree (strictly, but without the shape) and validate it against the schema, which
        // finds every error at once rather than the first.
        JToken token;
        try
        {
            using var reader = new ReplyReader(json, shape: null) { MaxDepth = null };
            token = JToken.ReadFrom(reader);
            while (reader.Read())
            {
                // Reads to the end, so that text after the value is reported.
            }
        }
        catch (ReplyException e)
        {
            found.Add(e.Message);
            return found;
        }
        catch (Exception e) when (e is Newtonsoft.Json.JsonException or InvalidOperationException)
        {
            found.Add("$: not valid JSON: " + e.Message);
            return found;
        }

        try
        {
            foreach (var error in _validationSchema!.Validate(token))
            {
                SchemaErrors.Describe(error, found);
            }
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException or ArgumentException)
        {
            // The validator cannot compare some values (numbers beyond decimal); the fast read's own error below says enough.
            found.Clear();
        }

        // A value of the wrong type also lacks the properties it should have had: say the first thing only.
        var mistyped = found.Where(f => f.Contains(": expected ", StringComparison.Ordinal)).Select(f => f[..f.IndexOf(": expected ", StringComparison.Ordinal)]).ToHashSet();
        found.RemoveAll(f => f.Contains(": missing required property", StringComparison.Ordinal) &&
                             mistyped.Contains(f[..f.IndexOf(": missing required property", StringComparison.Ordinal)]));

        // The fast read's own finding (ReplyException) is the more precise at its path: it names the expected properties,
        // ranges and formats; Json.NET's is only a fallback.
        if (Describe(failure) is { } own)
        {
            if (failure is ReplyException)
            {
                found.RemoveAll(f => f.StartsWith(own.Path + ": ", StringComparison.Ordinal));
                found.Add(own.Message);
            }
            else if (!found.Any(f => f.StartsWith(own.Path + ": ", StringComparison.Ordinal)))
            {
                found.Add(own.Message);
            }
        }

        if (found.Count == 0)
        {
            found.Add($"$: the reply does not fit {ResultType.Name}");
        }

        return found;
    }

    /// <summary>Says what the fast read's failure was, in the corrections' style.</summary>
    private static (string Path, string Message)? Describe(Exception? failure)
    {
        switch (failure)
        {
            case null:
                return null;
            case ReplyException reply:
                return (reply.Path, reply.Message);
            case JsonSerializationException json:
            {
                var path = ReplyPath.FromNewtonsoft(json.Path);
                var match = RequiredProperty().Match(json.Message);
                return match.Success
                    ? (path, $"{path}: missing required property '{match.Groups[1].Value}'")
                    : (path, $"{path}: {StripNewtonsoftPosition(json.Message)}");
            }

            default:
            {
                // A user type's constructor or setter refused the value.
                var inner = failure is System.Reflection.TargetInvocationException { InnerException: { } cause } ? cause : failure;
                return ("$", "$: the value was rejected: " + inner.Message);
            }
        }
    }

    private static string StripNewtonsoftPosition(string message)
    {
        int cut = message.IndexOf(" Path '", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.');
    }

    [GeneratedRegex("^Required property '([^']*)' not found in JSON")]
    private static partial Regex RequiredProperty();

    private static object? UnwrapValue<T>(object? wrapper) => wrapper is ValueWrapper<T> w ? w.Value : null;

    private static bool IsObjectType(Type type) =>
        !DataAnnotationsValidator.IsSimple(type) &&
        Nullable.GetUnderlyingType(type) is null &&
        !typeof(IEnumerable).IsAssignableFrom(type) &&
        (type.IsClass || type.IsValueType);

    private static void RejectUnconstructibleTypes(Type type, HashSet<Type> seen)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(Int128) || type == typeof(UInt128) || type == typeof(Half) || type == typeof(nint) || type == typeof(nuint) ||
            type == typeof(System.Numerics.BigInteger) || type == typeof(System.Numerics.Complex))
        {
            // Json.NET and NJsonSchema would describe these by their internals (BigInteger's _sign and _bits).
            throw new OutputSchemaException($"'{type.Name}' has no JSON schema form that replies can be read back from; use long, ulong, double or decimal");
        }

        if (DataAnnotationsValidator.IsSimple(type) || !seen.Add(type))
        {
            return;
        }

        if (typeof(System.Runtime.CompilerServices.ITuple).IsAssignableFrom(type))
        {
            throw new OutputSchemaException(
                $"'{type.Name}' is a tuple, whose element names do not exist at run time (the model would see Item1, Item2...); use a record with named properties");
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
            if (property.GetIndexParameters().Length == 0 && !property.IsDefined(typeof(JsonIgnoreAttribute), true) &&
                !property.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), true))
            {
                RejectUnconstructibleTypes(property.PropertyType, seen);
            }
        }
    }

    private static string SchemaNameFor(Type type) =>
        SafeName(type.IsGenericType ? type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] : type.Name);

    /// <summary>Gets a name providers accept for a schema or a tool: letters, digits, '_' and '-', at most 64 characters.</summary>
    internal static string SafeName(string name)
    {
        var safe = SchemaNameCharacters().Replace(name, "_");
        return safe.Length > 64 ? safe[..64] : safe;
    }

    [GeneratedRegex("[^a-zA-Z0-9_-]")]
    private static partial Regex SchemaNameCharacters();
}
