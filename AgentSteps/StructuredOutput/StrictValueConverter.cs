using System.Globalization;
using System.Text;
using Newtonsoft.Json;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Reads a value only from the JSON token and text the strict schema promises, and only into a value that holds it
/// exactly: strings, booleans and numbers from tokens of their own type (Json.NET would turn <c>1</c> into <c>"1"</c>,
/// <c>65</c> into <c>'A'</c>), numbers from their text and range-checked (no overflow, no decimal read through
/// <see cref="double"/>, no infinity), enums by exact name, dates, times, durations, UUIDs and URIs in their ISO or RFC
/// form. Null is read only where the type allows it. Every failure is a <see cref="ReplyException"/>.
/// </summary>
internal sealed class StrictValueConverter : JsonConverter
{
    private readonly Type _type;
    private readonly bool _allowNull;
    private readonly TypeCode _code;
    private readonly EnumNames? _enum;

    private StrictValueConverter(Type type, bool allowNull)
    {
        _type = type;
        _allowNull = allowNull;
        _code = Type.GetTypeCode(type);
        _enum = type.IsEnum ? EnumNames.For(type) : null;
    }

    public override bool CanWrite => false;

    /// <summary>Gets a converter for <paramref name="type"/>, or <see langword="null"/> when it is not a plain value.</summary>
    public static StrictValueConverter? For(Type type, bool allowNull)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        allowNull |= underlying is not null;
        var core = underlying ?? type;
        return IsValue(core) ? new StrictValueConverter(core, allowNull) : null;
    }

    public override bool CanConvert(Type objectType) => true;

    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        var token = reader.TokenType;
        if (token == JsonToken.Null)
        {
            return _allowNull ? null : throw Error(reader, $"expected {Expected()}, got null");
        }

        if (_enum is not null)
        {
            return ReadEnum(reader, token);
        }

        switch (_code)
        {
            case TypeCode.String:
                return token == JsonToken.String ? reader.Value : throw Mismatch(reader);
            case TypeCode.Boolean:
                return token == JsonToken.Boolean ? reader.Value : throw Mismatch(reader);
            case TypeCode.Char:
                return token == JsonToken.String && reader.Value is string { Length: 1 } single ? single[0] : throw Mismatch(reader);
            case TypeCode.Single or TypeCode.Double or TypeCode.Decimal or TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or
                TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64:
                return ReadNumber(reader, token);
            default:
                return token == JsonToken.String && ReadText((string)reader.Value!) is { } value ? value : throw Mismatch(reader);
        }
    }

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) =>
        throw new NotSupportedException("This converter only reads.");

    private static bool IsValue(Type type) =>
        type.IsEnum ||
        Type.GetTypeCode(type) is not (TypeCode.Object or TypeCode.Empty or TypeCode.DBNull) ||
        type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(TimeSpan) ||
        type == typeof(Guid) || type == typeof(Uri);

    private static ReplyException Error(JsonReader reader, string problem) => new(ReplyPath.FromNewtonsoft(reader.Path), problem);

    private static string Describe(JsonToken token) => token switch
    {
        JsonToken.String => "a string",
        JsonToken.Integer or JsonToken.Float => "a number",
        JsonToken.Boolean => "a boolean",
        JsonToken.StartObject => "an object",
        JsonToken.StartArray => "an array",
        _ => "null",
    };

    private object ReadEnum(JsonReader reader, JsonToken token)
    {
        if (token == JsonToken.String && _enum!.TryGetValue((string)reader.Value!, out var value))
        {
            return value!;
        }

        var allowed = string.Join(", ", _enum!.Names.Take(30).Select(n => "'" + n + "'")) + (_enum.Names.Count > 30 ? ", ..." : string.Empty);
        return token == JsonToken.String
            ? throw Error(reader, $"'{Internal.Text.Truncate((string)reader.Value!, 100)}' is not one of {allowed} (names are case-sensitive, one name only)")
            : throw Error(reader, $"expected one of {allowed}, got {Describe(token)}");
    }

    private object ReadNumber(JsonReader reader, JsonToken token)
    {
        bool isInteger = _code is not (TypeCode.Single or TypeCode.Double or TypeCode.Decimal);
        if (token is not (JsonToken.Integer or JsonToken.Float))
        {
            throw Mismatch(reader);
        }

        if (isInteger && token == JsonToken.Float)
        {
            throw Error(reader, "expected an integer, got a number with a fraction or exponent");
        }

        ReadOnlySpan<byte> text = reader is ReplyReader strict
            ? strict.NumberText
            : Encoding.UTF8.GetBytes(Convert.ToString(reader.Value, CultureInfo.InvariantCulture) ?? string.Empty);
        const NumberStyles Integer = NumberStyles.AllowLeadingSign;
        var invariant = CultureInfo.InvariantCulture;
        object? value = _code switch
        {
            TypeCode.Double => double.TryParse(text, NumberStyles.Float, invariant, out var d) && double.IsFinite(d) ? d : null,
            TypeCode.Single => float.TryParse(text, NumberStyles.Float, invariant, out var f) && float.IsFinite(f) ? f : null,
            TypeCode.Decimal => decimal.TryParse(text, NumberStyles.Float, invariant, out var m) ? m : null,
            TypeCode.SByte => sbyte.TryParse(text, Integer, invariant, out var v) ? v : null,
            TypeCode.Byte => byte.TryParse(text, Integer, invariant, out var v) ? v : null,
            TypeCode.Int16 => short.TryParse(text, Integer, invariant, out var v) ? v : null,
            TypeCode.UInt16 => ushort.TryParse(text, Integer, invariant, out var v) ? v : null,
            TypeCode.Int32 => int.TryParse(text, Integer, invariant, out var v) ? v : null,
            TypeCode.UInt32 => uint.TryParse(text, Integer, invariant, out var v) ? v : null,
            TypeCode.Int64 => long.TryParse(text, Integer, invariant, out var v) ? v : null,
            _ => ulong.TryParse(text, Integer, invariant, out var v) ? v : null,
        };
        return value ?? throw Error(reader, $"the number is out of range for {RangeOf()}");
    }

    private string RangeOf() => _code switch
    {
        TypeCode.Double => "a double (finite, at most ±1.7976931348623157E+308)",
        TypeCode.Single => "a float (finite, at most ±3.4028235E+38)",
        TypeCode.Decimal => "a decimal (at most ±79228162514264337593543950335)",
        TypeCode.SByte => "an integer from -128 to 127",
        TypeCode.Byte => "an integer from 0 to 255",
        TypeCode.Int16 => "an integer from -32768 to 32767",
        TypeCode.UInt16 => "an integer from 0 to 65535",
        TypeCode.Int32 => "an integer from -2147483648 to 2147483647",
        TypeCode.UInt32 => "an integer from 0 to 4294967295",
        TypeCode.Int64 => "an integer from -9223372036854775808 to 9223372036854775807",
        _ => "an integer from 0 to 18446744073709551615",
    };

    private object? ReadText(string text)
    {
        if (_code == TypeCode.DateTime)
        {
            return IsoText.TryParseDateTimeOffset(text, out var dateTime) ? dateTime.UtcDateTime : null;
        }

        if (_type == typeof(DateTimeOffset))
        {
            return IsoText.TryParseDateTimeOffset(text, out var value) ? value : null;
        }

        if (_type == typeof(DateOnly))
        {
            return IsoText.TryParseDate(text, out var value) ? value : null;
        }

        if (_type == typeof(TimeOnly))
        {
            return IsoText.TryParseTime(text, out var value) ? value : null;
        }

        if (_type == typeof(TimeSpan))
        {
            return IsoText.TryParseDuration(text, out var value) ? value : null;
        }

        if (_type == typeof(Guid))
        {
            return Guid.TryParseExact(text, "D", out var value) ? value : null;
        }

        // On Unix "/path" is an absolute file URI; a URI in a reply must spell its scheme.
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && text.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase) ? uri : null;
    }

    private string Expected()
    {
        if (_enum is not null)
        {
            return "one of " + string.Join(", ", _enum.Names.Take(30).Select(n => "'" + n + "'"));
        }

        return _code switch
        {
            TypeCode.String => "a string",
            TypeCode.Boolean => "true or false",
            TypeCode.Char => "a string of exactly one character",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 => "an integer",
            TypeCode.DateTime => "an RFC 3339 date-time with a time zone, such as \"2024-01-02T15:04:05Z\"",
            _ when _type == typeof(DateTimeOffset) => "an RFC 3339 date-time with a time zone, such as \"2024-01-02T15:04:05+02:00\"",
            _ when _type == typeof(DateOnly) => "a date as YYYY-MM-DD, such as \"2024-01-02\"",
            _ when _type == typeof(TimeOnly) => "a time as HH:MM:SS, such as \"14:30:00\"",
            _ when _type == typeof(TimeSpan) => "an ISO 8601 duration in days, hours, minutes and seconds, such as \"PT1H30M\" or \"P2DT3H\"",
            _ when _type == typeof(Guid) => "a UUID, such as \"0f8fad5b-d9cb-469f-a165-70867728950e\"",
            _ => "an absolute URI, such as \"https://example.com/page\"",
        };
    }

    private ReplyException Mismatch(JsonReader reader)
    {
        var token = reader.TokenType;
        var got = token == JsonToken.String && _code == TypeCode.Char
            ? $"a string of {((string)reader.Value!).Length} characters"
            : Describe(token);
        if (token == JsonToken.String && _code is TypeCode.DateTime or TypeCode.Object && _enum is null)
        {
            got = $"\"{Internal.Text.Truncate((string)reader.Value!, 60)}\"";
        }

        return Error(reader, $"expected {Expected()}, got {got}");
    }
}
