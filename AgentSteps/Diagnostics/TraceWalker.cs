using System.Collections;
using System.Globalization;
using System.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Diagnostics;

/// <summary>
/// Copies one value into a capped, scrubbed JSON tree. It never goes deeper than <see cref="TraceOptions.MaxDepth"/>
/// (so a 10,000-deep linked list cannot overflow the stack), takes at most <see cref="TraceOptions.MaxItems"/> items of
/// a collection, stops once <see cref="TraceOptions.MaxValueLength"/> characters are spent, cuts cycles, and turns a
/// throwing getter into an error note on that member. One walker per captured value.
/// </summary>
internal sealed class TraceWalker(TraceOptions options)
{
    private const int NodeCost = 4;

    private readonly TraceOptions _options = options;
    private object?[]? _path;
    private int _pathLength;
    private int _budget = options.MaxValueLength;

    /// <summary>Gets a value indicating whether the tree holds the whole value: nothing capped, scrubbed, cut or replaced by a note.</summary>
    public bool Complete { get; private set; } = true;

    /// <summary>Writes a leaf (see <see cref="TraceValueKind.Leaf"/>) as JSON, as the library's serializer writes it.</summary>
    public static JValue LeafToken(object value, TraceOptions options) => value switch
    {
        string text => new JValue(Cap(text, options.MaxStringLength, out _)),
        char c => new JValue(c.ToString()),
        Enum e => new JValue(e.ToString()), // names, as the serializer's StringEnumConverter writes them
        DateOnly date => new JValue(date.ToString("O", CultureInfo.InvariantCulture)),
        TimeOnly time => new JValue(time.ToString("O", CultureInfo.InvariantCulture)),
        Version version => new JValue(version.ToString()),
        nint pointer => new JValue((long)pointer),
        nuint pointer => new JValue((ulong)pointer),
        Half or Int128 or UInt128 => new JValue(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture)),
        _ => new JValue(value),
    };

    /// <summary>Cuts <paramref name="text"/> to <paramref name="maxLength"/> characters and says how many were left out.</summary>
    public static string Cap(string text, int maxLength, out bool capped)
    {
        capped = text.Length > maxLength;
        if (!capped)
        {
            return text;
        }

        int keep = char.IsHighSurrogate(text[maxLength - 1]) ? maxLength - 1 : maxLength;
        return string.Concat(text.AsSpan(0, keep), string.Create(CultureInfo.InvariantCulture, $"… <{text.Length - keep} more characters>"));
    }

    /// <summary>How a non-data value is written: its type name in angle brackets, such as <c>&lt;HttpClient&gt;</c>.</summary>
    public static string MarkerText(TraceTypeInfo info) => "<" + info.Name + ">";

    public JToken Walk(object? value, int depth)
    {
        if (value is null)
        {
            _budget -= NodeCost;
            return JValue.CreateNull();
        }

        if (value is string text)
        {
            return String(text);
        }

        var info = TraceTypeInfo.Get(value.GetType());
        switch (info.Kind)
        {
            case TraceValueKind.Leaf:
                _budget -= NodeCost * 2;
                return LeafToken(value, _options);
            case TraceValueKind.Marker:
                return Note(MarkerText(info));
            case TraceValueKind.Text:
                Complete = false;
                return Read(value, TextOf, out var written) is { } error ? error : String((string)written!);
        }

        if (_budget <= 0)
        {
            return Note(string.Create(CultureInfo.InvariantCulture, $"<left out: the value passed {_options.MaxValueLength} characters>"));
        }

        if (depth >= _options.MaxDepth)
        {
            return Note(string.Create(CultureInfo.InvariantCulture, $"<{info.Name} deeper than {_options.MaxDepth} levels>"));
        }

        if (IsOnPath(value))
        {
            return Note($"<cycle: {info.Name}>");
        }

        _path ??= new object?[_options.MaxDepth];
        _path[_pathLength++] = value;
        try
        {
            return info.Kind switch
            {
                TraceValueKind.Json => Json((JToken)value, depth),
                TraceValueKind.Dictionary => Dictionary(value, info, depth),
                TraceValueKind.Collection => Collection((IEnumerable)value, info, depth),
                TraceValueKind.Exception => Exception((Exception)value),
                _ => Object(value, info, depth),
            };
        }
        finally
        {
            _path[--_pathLength] = null;
        }
    }

    private static string TextOf(object value) => value switch
    {
        System.Text.Json.JsonElement element => element.GetRawText(),
        System.Text.Json.JsonDocument document => document.RootElement.GetRawText(),
        System.Text.Json.Nodes.JsonNode node => node.ToJsonString(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static Exception Unwrap(Exception e) =>
        e is (TargetInvocationException or JsonSerializationException) && e.InnerException is { } inner ? Unwrap(inner) : e;

    private static int? CountOf(object value, TraceTypeInfo info)
    {
        try
        {
            return value is ICollection collection ? collection.Count : (int?)info.CountProperty?.GetValue(value);
        }
#pragma warning disable CA1031 // A collection whose Count throws still shows in the trace.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private bool IsOnPath(object value)
    {
        if (value.GetType().IsValueType)
        {
            return false; // A boxed struct is a fresh copy: it cannot be its own ancestor.
        }

        for (int i = 0; i < _pathLength; i++)
        {
            if (ReferenceEquals(_path![i], value))
            {
                return true;
            }
        }

        return false;
    }

    private JValue String(string text)
    {
        var kept = Cap(text, _options.MaxStringLength, out bool capped);
        Complete &= !capped;
        _budget -= kept.Length + NodeCost;
        return new JValue(kept);
    }

    private JValue Note(string note)
    {
        Complete = false;
        _budget -= note.Length + NodeCost;
        return new JValue(note);
    }

    private JValue ErrorNote(Exception e)
    {
        e = Unwrap(e);
        string message;
        try
        {
            message = e.Message;
        }
#pragma warning disable CA1031 // An exception whose Message throws still gets its note.
        catch (Exception)
#pragma warning restore CA1031
        {
            message = "(no message)";
        }

        message = Cap(message.ReplaceLineEndings(" "), 200, out _);
        return Note($"<error: {e.GetType().Name}: {message}>");
    }

    /// <summary>Runs user code (a getter, an enumerator, a conversion) and turns what it throws into an error note.</summary>
    private JValue? Read(object value, Func<object, object?> read, out object? result)
    {
        try
        {
            result = read(value);
            return null;
        }
#pragma warning disable CA1031 // The point: a throwing member becomes a note on that member, not a failed trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            result = null;
            return ErrorNote(e);
        }
    }

    private JValue Redacted() => Note(SecretNames.Redacted);

    private JToken Json(JToken token, int depth)
    {
        switch (token)
        {
            case JValue { Value: string text }:
                return String(text);
            case JValue value:
                _budget -= NodeCost * 2;
                return new JValue(value);
            case JObject json:
            {
                var result = new JObject();
                int taken = 0;
                foreach (var property in json.Properties())
                {
                    if (!CanTake(taken))
                    {
                        result["<truncated>"] = MoreNote(json.Count - taken, "properties");
                        break;
                    }

                    _budget -= property.Name.Length + NodeCost;
                    result[property.Name] = SecretNames.IsSecret(property.Name) && !IsHarmless(property.Value) ? Redacted() : Walk(property.Value, depth + 1);
                    taken++;
                }

                return result;
            }

            case JArray array:
            {
                var result = new JArray();
                int taken = 0;
                foreach (var item in array)
                {
                    if (!CanTake(taken))
                    {
                        result.Add(MoreNote(array.Count - taken, "items"));
                        break;
                    }

                    result.Add(Walk(item, depth + 1));
                    taken++;
                }

                return result;
            }

            case JProperty property:
                return Json(new JObject { [property.Name] = property.Value.DeepClone() }, depth);
            default:
                return Note($"<{token.Type}>");
        }
    }

    private static bool IsHarmless(JToken token) =>
        token.Type is JTokenType.Null or JTokenType.Undefined or JTokenType.Integer or JTokenType.Float or JTokenType.Boolean;

    private bool CanTake(int taken) => taken < _options.MaxItems && _budget > 0;

    private JValue MoreNote(int? left, string what)
    {
        var count = left is null ? "more" : left.Value.ToString(CultureInfo.InvariantCulture) + " more";
        return _budget <= 0
            ? Note(string.Create(CultureInfo.InvariantCulture, $"<{count} {what} left out: the value passed {_options.MaxValueLength} characters>"))
            : Note($"<{count} {what}>");
    }

    private JArray Collection(IEnumerable collection, TraceTypeInfo info, int depth)
    {
        var result = new JArray();
        int taken = 0;
        IEnumerator? items = null;
        try
        {
            items = collection.GetEnumerator();
            while (items.MoveNext())
            {
                if (!CanTake(taken))
                {
                    result.Add(MoreNote(CountOf(collection, info) - taken, "items"));
                    break;
                }

                result.Add(Walk(items.Current, depth + 1));
                taken++;
            }
        }
#pragma warning disable CA1031 // A collection whose enumerator throws shows what it gave, then the error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            result.Add(ErrorNote(e));
        }
        finally
        {
            (items as IDisposable)?.Dispose();
        }

        return result;
    }

    private JObject Dictionary(object dictionary, TraceTypeInfo info, int depth)
    {
        var result = new JObject();
        int taken = 0;
        IEnumerator? entries = null;
        try
        {
            entries = dictionary is IDictionary plain ? plain.GetEnumerator() : ((IEnumerable)dictionary).GetEnumerator();
            while (entries.MoveNext())
            {
                if (!CanTake(taken))
                {
                    result["<truncated>"] = MoreNote(CountOf(dictionary, info) - taken, "entries");
                    break;
                }

                object? key, value;
                if (entries.Current is DictionaryEntry entry)
                {
                    (key, value) = (entry.Key, entry.Value);
                }
                else if (info.PairKey is not null && info.PairValue is not null && entries.Current is { } pair)
                {
                    (key, value) = (info.PairKey.GetValue(pair), info.PairValue.GetValue(pair));
                }
                else
                {
                    continue;
                }

                string name = KeyText(key);
                _budget -= name.Length + NodeCost;
                result[name] = SecretNames.IsSecret(name) && !SecretNames.IsHarmless(value) ? Redacted() : Walk(value, depth + 1);
                taken++;
            }
        }
#pragma warning disable CA1031 // A dictionary whose enumerator throws shows what it gave, then the error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            result["<error>"] = ErrorNote(e);
        }
        finally
        {
            (entries as IDisposable)?.Dispose();
        }

        return result;
    }

    private string KeyText(object? key)
    {
        switch (key)
        {
            case null:
                return string.Empty;
            case string text:
                var kept = Cap(text, _options.MaxStringLength, out bool capped);
                Complete &= !capped;
                return kept;
        }

        var info = TraceTypeInfo.Get(key.GetType());
        if (info.Kind != TraceValueKind.Leaf)
        {
            Complete = false;
            return MarkerText(info);
        }

        return key switch
        {
            Enum e => e.ToString(),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => key.ToString() ?? string.Empty,
        };
    }

    private JObject Exception(Exception exception)
    {
        Complete = false;
        var result = new JObject { ["type"] = exception.GetType().FullName };
        result["message"] = Read(exception, static e => ((Exception)e).Message, out var message) ?? (JToken)String((string?)message ?? string.Empty);
        return result;
    }

    private JObject Object(object value, TraceTypeInfo info, int depth)
    {
        var result = new JObject();
        foreach (var member in info.Members)
        {
            if (_budget <= 0)
            {
                result["<truncated>"] = Note(string.Create(CultureInfo.InvariantCulture, $"<more members left out: the value passed {_options.MaxValueLength} characters>"));
                break;
            }

            _budget -= member.Name.Length + NodeCost;
            object? item;
            try
            {
                item = member.Getter.GetValue(value);
            }
#pragma warning disable CA1031 // The point: a throwing getter becomes a note on that member, not a failed trace.
            catch (Exception e)
#pragma warning restore CA1031
            {
                result[member.Name] = ErrorNote(e);
                continue;
            }

            result[member.Name] = member.Secret && !SecretNames.IsHarmless(item) ? Redacted() : Walk(item, depth + 1);
        }

        return result;
    }
}
