using System.Globalization;
using Newtonsoft.Json;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Reads a string, boolean or number only from a JSON token of that type, as the strict schema demands: Json.NET would
/// otherwise turn <c>1</c> into <c>"1"</c> or <c>"1"</c> into <c>1</c>. Null is read only where the type allows it.
/// </summary>
internal sealed class StrictValueConverter : JsonConverter
{
    private readonly Type _type;
    private readonly bool _allowNull;
    private readonly TypeCode _code;

    private StrictValueConverter(Type type, bool allowNull)
    {
        _type = type;
        _allowNull = allowNull;
        _code = Type.GetTypeCode(type);
    }

    public override bool CanWrite => false;

    /// <summary>Gets a converter for <paramref name="type"/>, or <see langword="null"/> when Json.NET's own reading is strict enough.</summary>
    public static StrictValueConverter? For(Type type, bool allowNull)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        allowNull |= underlying is not null;
        var core = underlying ?? type;
        if (core.IsEnum)
        {
            return null;
        }

        return Type.GetTypeCode(core) switch
        {
            TypeCode.String or TypeCode.Boolean or TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or
                TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Single or TypeCode.Double or TypeCode.Decimal
                => new StrictValueConverter(core, allowNull),
            _ => null,
        };
    }

    public override bool CanConvert(Type objectType) => true;

    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        var token = reader.TokenType;
        if (token == JsonToken.Null)
        {
            return _allowNull ? null : throw Error(reader, "null is not allowed here");
        }

        switch (_code)
        {
            case TypeCode.String:
                return token == JsonToken.String ? reader.Value : throw Error(reader, $"expected a string, got {token}");
            case TypeCode.Boolean:
                return token == JsonToken.Boolean ? reader.Value : throw Error(reader, $"expected true or false, got {token}");
            case TypeCode.Single:
            case TypeCode.Double:
            case TypeCode.Decimal:
                return token is JsonToken.Integer or JsonToken.Float
                    ? Convert.ChangeType(reader.Value, _type, CultureInfo.InvariantCulture)
                    : throw Error(reader, $"expected a number, got {token}");
            default:
                if (token != JsonToken.Integer)
                {
                    throw Error(reader, $"expected an integer, got {token}");
                }

                try
                {
                    return Convert.ChangeType(reader.Value, _type, CultureInfo.InvariantCulture);
                }
                catch (OverflowException)
                {
                    throw Error(reader, $"{reader.Value} is out of range for {_type.Name}");
                }
        }
    }

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) =>
        throw new NotSupportedException("This converter only reads.");

    private static JsonSerializationException Error(JsonReader reader, string message) =>
        new($"{message} (path '{reader.Path}').");
}
