namespace AgentSteps.Pipeline;

/// <summary>
/// The text a model streams for one call, kept as it arrives, and for JSON output, read as it arrives: where the text can
/// be cut and closed into a document that parses (for <see cref="ModelTextEvent.PartialJson"/>), and which values of
/// the array at <see cref="ItemDepth"/> are complete (for steps that stream items). Each character is read once; a
/// snapshot costs nothing until it is read. Written by one producer; snapshots may be read from any thread, since the
/// part of a buffer a snapshot covers never changes (a longer text goes to a new buffer).
/// </summary>
internal sealed class StreamedText
{
    private const int MaxDepth = 64;

    private char[] _buffer = new char[256];
    private int _length;

    // The scanner: one frame per open container.
    private readonly Frame[] _frames = new Frame[MaxDepth + 1];
    private int _depth;
    private bool _inString;
    private bool _stringIsKey;
    private bool _escape;
    private int _unicodeDigits;
    private bool _inScalar;           // a number or literal being read
    private string? _literal;         // the literal being read (true, false, null), or null for a number
    private int _scalarState;         // a literal: characters matched; a number: its grammar state (see AdvanceScalar)
    private bool _failed;
    private int _safeLength;          // text up to here, closed, parses
    private bool _safeInString;       // the cut is inside a string value, which needs its quote
    private string _closers = string.Empty;
    private int _itemStart = -1;
    private int _keyStart;
    private int _rootStart;           // where the root value starts (after a byte-order mark or an opening fence)
    private int _fenceTicks;          // backticks of an opening fence read (3: in its language tag line)
    private bool _fenced;             // the JSON is in a fenced code block, whose closing fence may follow it
    private int _closingTicks;
    private bool _valueKey;           // the key just read in the root object is "value"
    private bool _sawValueKey;
    private bool _sawItems;

    public StreamedText(bool json, int itemDepth = 0)
    {
        IsJson = json;
        ItemDepth = itemDepth;
    }

    public bool IsJson { get; }

    /// <summary>Gets the depth of the array whose items are reported complete (2: the array under the root object's "value" key, the only one, which must be there for the text to be complete), or 0.</summary>
    public int ItemDepth { get; }

    public int Length => _length;

    /// <summary>Gets a value indicating whether the JSON document is complete: its root value has ended.</summary>
    public bool IsComplete => !_failed && _depth == 0 && _frames[0].State == FrameState.Done && (ItemDepth == 0 || _sawItems);

    /// <summary>Gets a value indicating whether the JSON so far cannot be valid (so no partial document is given).</summary>
    public bool Failed => _failed;

    /// <summary>Appends a piece of text; for JSON, calls <paramref name="onItem"/> with the text of each item it completes.</summary>
    public void Append(string delta, Action<string>? onItem = null)
    {
        if (_length + delta.Length > _buffer.Length)
        {
            var larger = new char[Math.Max(_buffer.Length * 2, _length + delta.Length)];
            _buffer.AsSpan(0, _length).CopyTo(larger);
            _buffer = larger;
        }

        delta.CopyTo(0, _buffer, _length, delta.Length);
        int start = _length;
        _length += delta.Length;
        if (IsJson && !_failed)
        {
            for (int i = start; i < _length; i++)
            {
                Scan(i, onItem);
                if (_failed)
                {
                    break;
                }
            }

            if (_inScalar && !_failed && IsCompleteScalar())
            {
                _safeLength = _length;
                _safeInString = false;
            }
        }
    }

    /// <summary>Gets the whole text up to <paramref name="length"/>.</summary>
    public string Read(int length) => new(_buffer, 0, length);

    /// <summary>Gets the text as it stands now, for an event to read later.</summary>
    public Snapshot Take() => new(_buffer, _length, _rootStart, _safeLength, _safeInString, _closers, _failed);

    private void Scan(int i, Action<string>? onItem)
    {
        char c = _buffer[i];
        if (_inString)
        {
            if (_escape)
            {
                if (_unicodeDigits > 0)
                {
                    if (!Uri.IsHexDigit(c))
                    {
                        _failed = true;
                        return;
                    }

                    _unicodeDigits--;
                    _escape = _unicodeDigits > 0;
                }
                else if (c == 'u')
                {
                    _unicodeDigits = 4;
                }
                else if (c is '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't')
                {
                    _escape = false;
                }
                else
                {
                    _failed = true; // not an escape JSON has
                    return;
                }

                if (!_escape && !_stringIsKey)
                {
                    _safeLength = i + 1;
                    _safeInString = true;
                }

                return;
            }

            if (c == '\\')
            {
                _escape = true;
                return;
            }

            if (c < ' ')
            {
                _failed = true; // a control character must be escaped in JSON
                return;
            }

            if (c == '"')
            {
                _inString = false;
                if (_stringIsKey)
                {
                    _frames[_depth].State = FrameState.ExpectColon;
                    if (ItemDepth > 0 && _depth == ItemDepth - 1)
                    {
                        bool isValue = _buffer.AsSpan(_keyStart, i - _keyStart) is "value";
                        if (isValue && _sawValueKey)
                        {
                            _failed = true; // "value" twice: which array is the reply's is not clear
                            return;
                        }

                        _sawValueKey |= isValue;
                        _valueKey = isValue;
                    }
                }
                else
                {
                    ValueEnded(i + 1, onItem);
                }

                return;
            }

            if (!_stringIsKey && !char.IsHighSurrogate(c))
            {
                // Not after the first half of a pair: a document cut there is not valid UTF-16 and does not parse.
                _safeLength = i + 1;
                _safeInString = true;
            }

            return;
        }

        if (_inScalar)
        {
            if (AdvanceScalar(c))
            {
                return;
            }

            _inScalar = false;
            if (!IsCompleteScalar())
            {
                _failed = true;
                return;
            }

            ValueEnded(i, onItem);
        }

        if (_depth == 0 && SkipFence(c))
        {
            return;
        }

        if (c is ' ' or '\t' or '\r' or '\n')
        {
            return;
        }

        ref var frame = ref _frames[_depth];
        switch (c)
        {
            case '{' or '[':
                if (!ExpectsValue(frame.State) || _depth >= MaxDepth)
                {
                    _failed = true;
                    return;
                }

                bool isItems = ItemDepth > 0 && c == '[' && _depth == ItemDepth - 1 && frame.IsObject && _valueKey;
                ValueStarts(i);
                frame.Comma = false;
                _depth++;
                _frames[_depth] = new Frame { IsObject = c == '{', State = c == '{' ? FrameState.ExpectKey : FrameState.ExpectValue, IsItems = isItems };
                _sawItems |= isItems;
                _closers = (c == '{' ? "}" : "]") + _closers;
                _safeLength = i + 1;
                _safeInString = false;
                return;

            case '}' or ']':
                if (_depth == 0 || frame.IsObject != (c == '}') || frame.Comma || frame.State is FrameState.ExpectColon or FrameState.ExpectValue && frame.IsObject)
                {
                    _failed = true;
                    return;
                }

                _depth--;
                _closers = _closers[1..];
                ValueEnded(i + 1, onItem);
                return;

            case ',':
                if (_depth == 0 || frame.State != FrameState.AfterValue)
                {
                    _failed = true;
                    return;
                }

                frame.State = frame.IsObject ? FrameState.ExpectKey : FrameState.ExpectValue;
                frame.Comma = true; // a value or key must follow: no trailing comma
                return;

            case ':':
                if (_depth == 0 || !frame.IsObject || frame.State != FrameState.ExpectColon)
                {
                    _failed = true;
                    return;
                }

                frame.State = FrameState.ExpectValue;
                return;

            case '"':
                if (_depth > 0 && frame.IsObject && frame.State == FrameState.ExpectKey)
                {
                    _inString = true;
                    _stringIsKey = true;
                    _keyStart = i + 1;
                    frame.Comma = false;
                    return;
                }

                if (!ExpectsValue(frame.State))
                {
                    _failed = true;
                    return;
                }

                ValueStarts(i);
                frame.Comma = false;
                _inString = true;
                _stringIsKey = false;
                _safeLength = i + 1;
                _safeInString = true;
                return;

            default:
                if (!ExpectsValue(frame.State) || !(char.IsAsciiDigit(c) || c is '-' or 't' or 'f' or 'n'))
                {
                    _failed = true;
                    return;
                }

                ValueStarts(i);
                frame.Comma = false;
                _inScalar = true;
                _literal = c switch { 't' => "true", 'f' => "false", 'n' => "null", _ => null };
                _scalarState = _literal is null ? (c == '-' ? 0 : c == '0' ? 1 : 2) : 1;
                return;
        }
    }

    /// <summary>
    /// Reads around the root value as <see cref="StructuredOutput.ReplyText"/> reads a whole reply: a byte-order mark
    /// before it, and an opening fence (<c>```json</c> and its line) before it with a closing fence after it.
    /// </summary>
    private bool SkipFence(char c)
    {
        var state = _frames[0].State;
        if (state == FrameState.ExpectValue && !_fenced)
        {
            if (c == '\uFEFF' && _fenceTicks == 0)
            {
                return true;
            }

            if (_fenceTicks < 3)
            {
                if (c != '`')
                {
                    _failed = _fenceTicks > 0; // one or two backticks are no fence
                    return _failed;            // no fence: the root value (or an error) starts here
                }

                _fenceTicks++;
                return true;
            }

            // The fence's language tag line; a one-line block starts its value on it.
            _fenced = c is '\n' or '{' or '[';
            return c is not ('{' or '[');
        }

        if (state == FrameState.Done && _fenced && c == '`' && _closingTicks < 3)
        {
            _closingTicks++;
            return true;
        }

        return false;
    }

    private bool ExpectsValue(FrameState state) => _depth == 0 ? state == FrameState.ExpectValue : state == FrameState.ExpectValue;

    private void ValueStarts(int position)
    {
        if (_depth == 0)
        {
            _rootStart = position;
        }

        if (_frames[_depth].IsItems)
        {
            _itemStart = position;
        }
    }

    private void ValueEnded(int end, Action<string>? onItem)
    {
        ref var frame = ref _frames[_depth];
        frame.State = _depth == 0 ? FrameState.Done : FrameState.AfterValue;
        _safeLength = end;
        _safeInString = false;
        if (onItem is not null && frame.IsItems && _itemStart >= 0)
        {
            onItem(new string(_buffer, _itemStart, end - _itemStart));
            _itemStart = -1;
        }
    }

    private bool IsCompleteScalar() => _literal is not null ? _scalarState == _literal.Length : _scalarState is 1 or 2 or 4 or 7;

    /// <summary>
    /// Reads one more character of a literal or a number, by JSON's grammar, in constant time (a number's states: 0 after
    /// '-', 1 after a leading '0', 2 in the integer digits, 3 after '.', 4 in the fraction, 5 after 'e', 6 after the
    /// exponent's sign, 7 in the exponent); false when <paramref name="c"/> cannot continue it.
    /// </summary>
    private bool AdvanceScalar(char c)
    {
        if (_literal is not null)
        {
            if (_scalarState < _literal.Length && c == _literal[_scalarState])
            {
                _scalarState++;
                return true;
            }

            return false;
        }

        int next = (_scalarState, c) switch
        {
            (0, '0') => 1,
            (0 or 2, >= '1' and <= '9') => 2,
            (2, '0') => 2,
            (1 or 2, '.') => 3,
            (3 or 4, >= '0' and <= '9') => 4,
            (1 or 2 or 4, 'e' or 'E') => 5,
            (5, '+' or '-') => 6,
            (5 or 6 or 7, >= '0' and <= '9') => 7,
            _ => -1,
        };
        if (next < 0)
        {
            return false;
        }

        _scalarState = next;
        return true;
    }

    private enum FrameState : byte
    {
        ExpectValue = 0,
        ExpectKey,
        ExpectColon,
        AfterValue,
        Done,
    }

    private struct Frame
    {
        public bool IsObject;
        public FrameState State;
        public bool Comma;   // a comma was read and nothing after it yet
        public bool IsItems; // the array whose items are reported: the root object's "value"
    }

    /// <summary>The text at one moment: what an event reads later.</summary>
    internal readonly struct Snapshot(char[] buffer, int length, int rootStart, int safeLength, bool safeInString, string closers, bool failed)
    {
        public int Length => length;

        public bool Failed => failed;

        public string Read() => new(buffer, 0, length);

        public string Close()
        {
            if (safeLength == 0)
            {
                return "{}";
            }

            var text = new string(buffer, rootStart, safeLength - rootStart);
            return safeInString ? text + "\"" + closers : text + closers;
        }
    }
}
