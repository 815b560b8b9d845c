using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Newtonsoft.Json;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Feeds a model reply to Json.NET's serializer through System.Text.Json's strict <see cref="Utf8JsonReader"/>: RFC 8259
/// only (no comments, single quotes, unquoted names, trailing commas, NaN, leading zeros or hex), a depth cap, no
/// duplicate names, and, given a <see cref="ReplyShape"/>, exactly the property names the schema lists. Numbers keep
/// their text (<see cref="NumberText"/>) so that they are converted exactly, not through <see cref="double"/>.
/// </summary>
internal sealed class ReplyReader : JsonReader
{
    private static readonly JsonReaderOptions s_options = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = AgentStepsJson.MaxDepth,
    };

    private readonly ReplyShape? _root;
    private readonly int _length;
    private byte[]? _buffer;
    private JsonReaderState _state;
    private int _consumed;
    private int _numberStart;
    private int _numberLength;
    private Frame[] _frames = new Frame[8];
    private int _depth;
    private ReplyShape? _propertyShape;

    public ReplyReader(string json, ReplyShape? shape)
    {
        _root = shape;
        _buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        _length = Encoding.UTF8.GetBytes(json, _buffer);
        _state = new JsonReaderState(s_options);
    }

    /// <summary>Gets the UTF-8 text of the current number token.</summary>
    public ReadOnlySpan<byte> NumberText => _buffer.AsSpan(_numberStart, _numberLength);

    public override bool Read()
    {
        if (_buffer is null)
        {
            return false;
        }

        int start = _consumed;
        var reader = new Utf8JsonReader(_buffer.AsSpan(start, _length - start), isFinalBlock: true, _state);
        bool read;
        try
        {
            read = reader.Read();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw Syntax(e);
        }

        if (!read)
        {
            return false;
        }

        _consumed = start + (int)reader.BytesConsumed;
        _state = reader.CurrentState;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                Enter(isObject: true);
                Push(JsonToken.StartObject);
                break;
            case JsonTokenType.StartArray:
                Enter(isObject: false);
                Push(JsonToken.StartArray);
                break;
            case JsonTokenType.EndObject:
                _depth--;
                SetToken(JsonToken.EndObject);
                break;
            case JsonTokenType.EndArray:
                _depth--;
                SetToken(JsonToken.EndArray);
                break;
            case JsonTokenType.PropertyName:
                var name = reader.GetString()!;
                SetToken(JsonToken.PropertyName, name);
                CheckName(name);
                break;
            case JsonTokenType.String:
                SetToken(JsonToken.String, reader.GetString());
                break;
            case JsonTokenType.Number:
                _numberStart = start + (int)reader.TokenStartIndex;
                _numberLength = reader.ValueSpan.Length;
                SetNumber(reader.ValueSpan);
                break;
            case JsonTokenType.True:
                SetToken(JsonToken.Boolean, true);
                break;
            case JsonTokenType.False:
                SetToken(JsonToken.Boolean, false);
                break;
            default:
                SetToken(JsonToken.Null);
                break;
        }

        return true;
    }

    public override void Close()
    {
        base.Close();
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ReplyShape? Expected() =>
        _depth == 0 ? _root : _frames[_depth - 1].IsObject ? _propertyShape : _frames[_depth - 1].Shape?.Items;

    private void Enter(bool isObject)
    {
        var shape = Expected();
        if (_depth == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
        }

        _frames[_depth++] = new Frame { Shape = shape, IsObject = isObject };
    }

    private void Push(JsonToken token)
    {
        try
        {
            SetToken(token);
        }
        catch (JsonReaderException)
        {
            throw DepthError();
        }
    }

    private void CheckName(string name)
    {
        ref var frame = ref _frames[_depth - 1];
        if (frame.Shape?.Properties is not { } properties)
        {
            frame.Names ??= new HashSet<string>(StringComparer.Ordinal);
            if (!frame.Names.Add(name))
            {
                throw Duplicate();
            }

            _propertyShape = null;
            return;
        }

        if (!properties.TryGetValue(name, out var property))
        {
            var hint = frame.Shape.CaseInsensitiveMatch(name) is { } match
                ? $"did you mean '{match}'? Property names are case-sensitive"
                : "expected only " + string.Join(", ", properties.Keys.Take(30).Select(k => "'" + k + "'"));
            throw new ReplyException(ReplyPath.FromNewtonsoft(Path), $"unknown property of {frame.Shape.TypeName}; {hint}");
        }

        if (property.Index < 64)
        {
            ulong bit = 1UL << property.Index;
            if ((frame.Seen & bit) != 0)
            {
                throw Duplicate();
            }

            frame.Seen |= bit;
        }
        else
        {
            frame.SeenMany ??= new bool[properties.Count];
            if (frame.SeenMany[property.Index])
            {
                throw Duplicate();
            }

            frame.SeenMany[property.Index] = true;
        }

        _propertyShape = property.Shape;
    }

    private void SetNumber(ReadOnlySpan<byte> text)
    {
        if (text.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
        {
            // Infinity for a literal beyond double's range: the converter rejects it from the text.
            SetToken(JsonToken.Float, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        else if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            SetToken(JsonToken.Integer, value);
        }
        else
        {
            // Beyond long: converters read the text itself; the value only feeds the diagnosis tree, where a double (not a
            // BigInteger, which schema validation cannot compare, nor costs quadratic time to parse) is enough.
            SetToken(JsonToken.Integer, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
    }

    private ReplyException Duplicate() =>
        new(ReplyPath.FromNewtonsoft(Path), "duplicate property; each property may appear only once");

    private ReplyException DepthError() =>
        new(ReplyPath.FromNewtonsoft(Path), $"not valid JSON: it nests deeper than the MaxDepth of {AgentStepsJson.MaxDepth}", isSyntax: true);

    private ReplyException Syntax(System.Text.Json.JsonException e)
    {
        var message = e.Message;
        if (message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return DepthError();
        }

        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        int offset = Offset(e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
        var problem = Hint(offset, message) ?? message.TrimEnd('.');
        return new ReplyException(
            ReplyPath.FromNewtonsoft(Path),
            string.Create(CultureInfo.InvariantCulture, $"not valid JSON: {problem} (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})"),
            isSyntax: true);
    }

    private int Offset(long line, long position)
    {
        var buffer = _buffer.AsSpan(0, _length);
        int offset = 0;
        for (long l = 0; l < line && offset < buffer.Length; l++)
        {
            int next = buffer[offset..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return buffer.Length;
            }

            offset += next + 1;
        }

        return (int)Math.Min(buffer.Length, offset + position);
    }

    private string? Hint(int offset, string message)
    {
        if (message.Contains("trailing comma", StringComparison.OrdinalIgnoreCase))
        {
            return "trailing commas are not allowed";
        }

        if (message.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
        {
            return "the reply is empty; reply with one JSON object";
        }

        if (message.Contains("Expected depth to be zero", StringComparison.Ordinal))
        {
            return "the reply ends before its objects and arrays are closed";
        }

        if (message.Contains("after a single JSON value", StringComparison.Ordinal))
        {
            return "the reply has more text after the JSON value; reply with one JSON value only";
        }

        var rest = _buffer.AsSpan(offset, _length - offset);
        var before = _buffer.AsSpan(0, offset).TrimEnd(" \t\r\n"u8);
        if (rest.StartsWith("/"u8) || (before.Length > 0 && before[^1] == (byte)'/'))
        {
            return "comments are not allowed";
        }

        if (rest.StartsWith("'"u8) || (before.Length > 0 && before[^1] == (byte)'\''))
        {
            return "strings and property names must be in double quotes";
        }

        if (rest.StartsWith("NaN"u8) || rest.StartsWith("Infinity"u8) || rest.StartsWith("-Infinity"u8))
        {
            return "NaN and Infinity are not JSON numbers";
        }

        if (rest.Length > 0 && (char.IsAsciiDigit((char)rest[0]) || rest[0] is (byte)'x' or (byte)'X') &&
            before.Length > 0 && before[^1] == (byte)'0' && (before.Length == 1 || !char.IsAsciiDigit((char)before[^2]) && before[^2] != (byte)'.'))
        {
            return "numbers must be plain decimals, without leading zeros or hexadecimal";
        }

        if (offset == 0 && message.Contains("invalid start of a value", StringComparison.Ordinal))
        {
            return "the reply must be the JSON value alone, with no text around it (or inside one fenced ```json block)";
        }

        return message.Contains("property name", StringComparison.Ordinal) ? "property names must be in double quotes" : null;
    }

    private struct Frame
    {
        public ReplyShape? Shape;
        public bool IsObject;
        public ulong Seen;
        public bool[]? SeenMany;
        public HashSet<string>? Names;
    }
}
