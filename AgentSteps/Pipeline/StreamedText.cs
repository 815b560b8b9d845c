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
    private int _scalarStart;
    private bool _failed;
    private int _safeLength;          // text up to here, closed, parses
    private bool _safeInString;       // the cut is inside a string value, which needs its quote
    private string _closers = string.Empty;
    private int _itemStart = -1;

    public StreamedText(bool json, int itemDepth = 0)
    {
        IsJson = json;
        ItemDepth = itemDepth;
    }

    public bool IsJson { get; }

    /// <summary>Gets the depth of the array whose items are reported complete (2: the array in the root object), or 0.</summary>
    public int ItemDepth { get; }

    public int Length => _length;

    /// <summary>Gets a value indicating whether the JSON document is complete: its root value has ended.</summary>
    public bool IsComplete => !_failed && _depth == 0 && _frames[0].State == FrameState.Done;

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

            if (_inScalar && !_failed && IsCompleteScalar(_scalarStart, _length))
            {
                _safeLength = _length;
                _safeInString = false;
            }
        }
    }

    /// <summary>Gets the whole text up to <paramref name="length"/>.</summary>
    public string Read(int length) => new(_buffer, 0, length);

    /// <summary>Gets the text as it stands now, for an event to read later.</summary>
    public Snapshot Take() => new(_buffer, _length, _safeLength, _safeInString, _closers, _failed);

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
                else
                {
                    _escape = false;
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

            if (c == '"')
            {
                _inString = false;
                if (_stringIsKey)
                {
                    _frames[_depth].State = FrameState.ExpectColon;
                }
                else
                {
                    ValueEnded(i + 1, onItem);
                }

                return;
            }

            if (!_stringIsKey)
            {
                _safeLength = i + 1;
                _safeInString = true;
            }

            return;
        }

        if (_inScalar)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+')
            {
                return;
            }

            _inScalar = false;
            if (!IsCompleteScalar(_scalarStart, i))
            {
                _failed = true;
                return;
            }

            ValueEnded(i, onItem);
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

                ValueStarts(i);
                _depth++;
                _frames[_depth] = new Frame { IsObject = c == '{', State = c == '{' ? FrameState.ExpectKey : FrameState.ExpectValue };
                _closers = (c == '{' ? "}" : "]") + _closers;
                _safeLength = i + 1;
                _safeInString = false;
                return;

            case '}' or ']':
                if (_depth == 0 || frame.IsObject != (c == '}') || frame.State is FrameState.ExpectColon or FrameState.ExpectValue && frame.IsObject)
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
                    return;
                }

                if (!ExpectsValue(frame.State))
                {
                    _failed = true;
                    return;
                }

                ValueStarts(i);
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
                _inScalar = true;
                _scalarStart = i;
                return;
        }
    }

    private bool ExpectsValue(FrameState state) => _depth == 0 ? state == FrameState.ExpectValue : state == FrameState.ExpectValue;

    private void ValueStarts(int position)
    {
        if (ItemDepth > 0 && _depth == ItemDepth && !_frames[_depth].IsObject)
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
        if (onItem is not null && ItemDepth > 0 && _depth == ItemDepth && !frame.IsObject && _itemStart >= 0)
        {
            onItem(new string(_buffer, _itemStart, end - _itemStart));
            _itemStart = -1;
        }
    }

    private bool IsCompleteScalar(int start, int end)
    {
        var token = _buffer.AsSpan(start, end - start);
        if (token is "true" or "false" or "null")
        {
            return true;
        }

        return token.Length > 0 && char.IsAsciiDigit(token[^1]) &&
               double.TryParse(token, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
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
    }

    /// <summary>The text at one moment: what an event reads later.</summary>
    internal readonly struct Snapshot(char[] buffer, int length, int safeLength, bool safeInString, string closers, bool failed)
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

            var text = new string(buffer, 0, safeLength);
            return safeInString ? text + "\"" + closers : text + closers;
        }
    }
}
