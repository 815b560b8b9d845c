namespace AgentSteps;

/// <summary>
/// Counts a parent's calls of each step name in call order, for <see cref="ExecutedStep.Key"/>. A parent calls few
/// distinct steps, so a short array searched in order beats a dictionary; nothing is allocated until the first call.
/// Not thread-safe: the runtime's lock guards it.
/// </summary>
internal struct ChildOrdinals
{
    private string[]? _names;
    private int[]? _counts;
    private int _length;

    public int Next(string name)
    {
        for (int i = 0; i < _length; i++)
        {
            if (ReferenceEquals(_names![i], name) || string.Equals(_names[i], name, StringComparison.Ordinal))
            {
                return ++_counts![i];
            }
        }

        if (_names is null || _length == _names.Length)
        {
            int size = _names is null ? 2 : _names.Length * 2;
            Array.Resize(ref _names, size);
            Array.Resize(ref _counts, size);
        }

        _names[_length] = name;
        _counts![_length] = 1;
        _length++;
        return 1;
    }
}
