using System.Collections;
using System.Globalization;
using System.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace AgentSteps.Diagnostics;

/// <summary>
/// Copies one value into a capped, scrubbed snapshot tree (see <see cref="TraceObject"/> for its shape). It never goes
/// deeper than <see cref="StepTraceOptions.MaxDepth"/> (so a 10,000-deep linked list cannot overflow the stack), takes at
/// most <see cref="StepTraceOptions.MaxItems"/> items of a collection, stops once <see cref="StepTraceOptions.MaxValueLength"/>
/// characters are spent, cuts cycles, and turns a throwing getter into an error note on that member. Strings and other
/// immutable leaves are shared with the value, not copied. One walker per captured value.
/// </summary>
internal sealed class TraceWalker(StepTraceOptions options)
{
    private const int NodeCost = 4;

    private static readonly string[] s_exceptionNames = ["type", "message"];

    private readonly StepTraceOptions _options = options;
    private object?[]? _path;
    private int _pathLength;
    private int _budget = options.MaxValueLength;

    /// <summary>Gets a value indicating whether the tree holds the whole value: nothing capped, scrubbed, cut or replaced by a note.</summary>
    public bool Complete { get; private set; } = true;

    /// <summary>Writes a leaf (see <see cref="TraceValueKind.Leaf"/>) as JSON, as the library's serializer writes it.</summary>
    public static JValue LeafToken(object value, StepTraceOptions options) => value switch
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

    /// <summary>Writes a snapshot tree as JSON. Its depth is bounded by <see cref="StepTraceOptions.MaxDepth"/>, so recursing is safe.</summary>
    public static JToken ToToken(object? node, StepTraceOptions options)
    {
        switch (node)
        {
            case null:
                return JValue.CreateNull();
            case object?[] items:
                var array = new JArray();
                foreach (var item in items)
                {
                    array.Add(ToToken(item, options));
                }

                return array;
            case TraceObject json:
                var result = new JObject();
                for (int i = 0; i < json.Names.Length; i++)
                {
                    result[json.Names[i]] = ToToken(json.Values[i], options); // the indexer: two dictionary keys may write alike
                }

                return result;
            case string text:
                return new JValue(text); // capped, or a note, when the tree was built
            default:
                return LeafToken(node, options);
        }
    }

    /// <summary>Whether two snapshot trees hold the same data.</summary>
    public static bool TreeEquals(object? left, object? right)
    {
        switch (left)
        {
            case object?[] items:
                if (right is not object?[] others || others.Length != items.Length)
                {
                    return false;
                }

                for (int i = 0; i < items.Length; i++)
                {
                    if (!TreeEquals(items[i], others[i]))
                    {
                        return false;
                    }
                }

                return true;
            case TraceObject json:
                if (right is not TraceObject other || other.Names.Length != json.Names.Length)
                {
                    return false;
                }

                for (int i = 0; i < json.Names.Length; i++)
                {
                    if (!string.Equals(json.Names[i], other.Names[i], StringComparison.Ordinal) || !TreeEquals(json.Values[i], other.Values[i]))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return Equals(left, right);
        }
    }

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

    public object? Walk(object? value, int depth)
    {
        if (value is null)
        {
            _budget -= NodeCost;
            return null;
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
                return value; // immutable: shared, not copied
            case TraceValueKind.Marker:
                return Note(MarkerText(info));
            case TraceValueKind.Text:
                Complete = false;
                return Read(value, TextOf, out var written) ?? Text(value, (string)written!, depth);
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

    private static bool IsSystemTextJson(object value) =>
        value is System.Text.Json.JsonElement or System.Text.Json.JsonDocument or System.Text.Json.Nodes.JsonNode;

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

    private static bool IsHarmless(JToken token) =>
        token.Type is JTokenType.Null or JTokenType.Undefined or JTokenType.Integer or JTokenType.Float or JTokenType.Boolean;

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

    /// <summary>
    /// System.Text.Json values are written as the JSON they hold, capped and scrubbed as any JSON is; others as their text.
    /// JSON too long or too deep to parse is left out with a note, never written as raw text, which would keep its secrets.
    /// </summary>
    private object? Text(object value, string text, int depth)
    {
        if (!IsSystemTextJson(value))
        {
            return String(text);
        }

        if (text.Length <= _options.MaxValueLength)
        {
            try
            {
                return Json(JToken.Parse(text), depth);
            }
            catch (JsonException)
            {
                // Deeper than the parser's limit: a note then.
            }
        }

        return Note(string.Create(CultureInfo.InvariantCulture, $"<{TraceTypeInfo.Get(value.GetType()).Name} of {text.Length} characters left out>"));
    }

    private string String(string text)
    {
        var kept = Cap(text, _options.MaxStringLength, out bool capped);
        Complete &= !capped;
        _budget -= kept.Length + NodeCost;
        return kept;
    }

    private string Note(string note)
    {
        Complete = false;
        _budget -= note.Length + NodeCost;
        return note;
    }

    private string ErrorNote(Exception e)
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

    /// <summary>Runs user code (a conversion, a message) and turns what it throws into an error note.</summary>
    private string? Read(object value, Func<object, object?> read, out object? result)
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

    private string Redacted() => Note(SecretNames.Redacted);

    private bool CanTake(int taken) => taken < _options.MaxItems && _budget > 0;

    private string MoreNote(int? left, string what)
    {
        var count = left is null ? "more" : left.Value.ToString(CultureInfo.InvariantCulture) + " more";
        return _budget <= 0
            ? Note(string.Create(CultureInfo.InvariantCulture, $"<{count} {what} left out: the value passed {_options.MaxValueLength} characters>"))
            : Note($"<{count} {what}>");
    }

    private object? Json(JToken token, int depth)
    {
        switch (token)
        {
            case JValue { Value: string text }:
                return String(text);
            case JValue { Value: null }:
                _budget -= NodeCost;
                return null;
            case JValue value:
                return Walk(value.Value, depth);
            case JObject json:
            {
                var names = new List<string>(json.Count);
                var values = new List<object?>(json.Count);
                foreach (var property in json.Properties())
                {
                    if (!CanTake(names.Count))
                    {
                        names.Add("<truncated>");
                        values.Add(MoreNote(json.Count - values.Count, "properties"));
                        break;
                    }

                    _budget -= property.Name.Length + NodeCost;
                    names.Add(property.Name);
                    values.Add(SecretNames.IsSecret(property.Name) && !IsHarmless(property.Value) ? Redacted() : Walk(property.Value, depth + 1));
                }

                return new TraceObject([.. names], [.. values]);
            }

            case JArray array:
            {
                var items = new List<object?>(Math.Min(array.Count, _options.MaxItems + 1));
                foreach (var item in array)
                {
                    if (!CanTake(items.Count))
                    {
                        items.Add(MoreNote(array.Count - items.Count, "items"));
                        break;
                    }

                    items.Add(Walk(item, depth + 1));
                }

                return items.ToArray();
            }

            case JProperty property:
                return Json(new JObject { [property.Name] = property.Value.DeepClone() }, depth);
            default:
                return Note($"<{token.Type}>");
        }
    }

    private object?[] Collection(IEnumerable collection, TraceTypeInfo info, int depth)
    {
        if (collection is IList list)
        {
            // Lists and arrays by index: no enumerator to allocate, and the count is at hand for sizing.
            int count;
            try
            {
                count = list.Count;
            }
#pragma warning disable CA1031 // A list whose Count throws still shows in the trace.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return [ErrorNote(e)];
            }

            var items = new object?[Math.Min(count, _options.MaxItems + 1)];
            int taken = 0;
            try
            {
                for (; taken < items.Length; taken++)
                {
                    if (!CanTake(taken))
                    {
                        items[taken] = MoreNote(count - taken, "items");
                        taken++;
                        break;
                    }

                    items[taken] = Walk(list[taken], depth + 1);
                }
            }
#pragma warning disable CA1031 // A list whose indexer throws shows what it gave, then the error.
            catch (Exception e)
#pragma warning restore CA1031
            {
                items[taken++] = ErrorNote(e);
            }

            return taken == items.Length ? items : items[..taken];
        }

        var taking = new List<object?>();
        IEnumerator? enumerator = null;
        try
        {
            enumerator = collection.GetEnumerator();
            while (enumerator.MoveNext())
            {
                if (!CanTake(taking.Count))
                {
                    taking.Add(MoreNote(CountOf(collection, info) - taking.Count, "items"));
                    break;
                }

                taking.Add(Walk(enumerator.Current, depth + 1));
            }
        }
#pragma warning disable CA1031 // A collection whose enumerator throws shows what it gave, then the error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            taking.Add(ErrorNote(e));
        }
        finally
        {
            (enumerator as IDisposable)?.Dispose();
        }

        return [.. taking];
    }

    private TraceObject Dictionary(object dictionary, TraceTypeInfo info, int depth)
    {
        var names = new List<string>();
        var values = new List<object?>();
        IEnumerator? entries = null;
        try
        {
            entries = dictionary is IDictionary plain ? plain.GetEnumerator() : ((IEnumerable)dictionary).GetEnumerator();
            while (entries.MoveNext())
            {
                if (!CanTake(names.Count))
                {
                    names.Add("<truncated>");
                    values.Add(MoreNote(CountOf(dictionary, info) - values.Count, "entries"));
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
                names.Add(name);
                values.Add(SecretNames.IsSecret(name) && !SecretNames.IsHarmless(value) ? Redacted() : Walk(value, depth + 1));
            }
        }
#pragma warning disable CA1031 // A dictionary whose enumerator throws shows what it gave, then the error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            names.Add("<error>");
            values.Add(ErrorNote(e));
        }
        finally
        {
            (entries as IDisposable)?.Dispose();
        }

        return new TraceObject([.. names], [.. values]);
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

    /// <summary>Whether a key-value pair's key names a secret, as a dictionary key would (a header list's <c>Authorization</c>).</summary>
    private static bool IsSecretKey(object pair, TraceMember key)
    {
        try
        {
            return key.Getter.GetValue(pair) is string name && SecretNames.IsSecret(name);
        }
#pragma warning disable CA1031 // A key that cannot be read is walked as any member is, and noted there.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private TraceObject Exception(Exception exception)
    {
        Complete = false;
        var message = Read(exception, static e => ((Exception)e).Message, out var read) ?? String((string?)read ?? string.Empty);
        return new TraceObject(s_exceptionNames, [exception.GetType().FullName, message]);
    }

    private TraceObject Object(object value, TraceTypeInfo info, int depth)
    {
        var members = info.Members;
        var values = new object?[members.Length];
        int secretIndex = info.PairValueIndex >= 0 && info.PairKeyIndex >= 0 && IsSecretKey(value, members[info.PairKeyIndex]) ? info.PairValueIndex : -1;
        for (int i = 0; i < members.Length; i++)
        {
            if (_budget <= 0)
            {
                // Out of budget: the members read so far, and a note for the rest.
                var names = new string[i + 1];
                Array.Copy(info.MemberNames, names, i);
                names[i] = "<truncated>";
                var kept = values[..(i + 1)];
                kept[i] = Note(string.Create(CultureInfo.InvariantCulture, $"<{members.Length - i} more members left out: the value passed {_options.MaxValueLength} characters>"));
                return new TraceObject(names, kept);
            }

            var member = members[i];
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
                values[i] = ErrorNote(e);
                continue;
            }

            values[i] = (member.Secret || i == secretIndex) && !SecretNames.IsHarmless(item) ? Redacted() : Walk(item, depth + 1);
        }

        return new TraceObject(info.MemberNames, values);
    }
}
