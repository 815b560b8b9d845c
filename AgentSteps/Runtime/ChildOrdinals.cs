namespace AgentSteps;

/// <summary>
/// Counts a parent's calls of each step name in call order, for <see cref="ExecutedStep.Key"/>. A parent calls few
/// distinct steps, so a short array searched in order beats a dictionary; nothing is allocated until the first call.
/// Not thread-safe: the runtime's lock guards it.
/// </summary>
internal struct ChildOrdinals
{
    private Entry[]? _entries;
    private int _length;

    public int Next(string name)
    {
        for (int i = 0; i < _length; i++)
        {
            ref var entry = ref _entries![i];
            if (ReferenceEquals(entry.Name, name) || string.Equals(entry.Name, name, StringComparison.Ordinal))
            {
                return ++entry.Count;
            }
        }

        if (_entries is null || _length == _entries.Length)
        {
            Array.Resize(ref _entries, _entries is null ? 4 : _entries.Length * 2);
        }

        _entries[_length++] = new Entry { Name = name, Count = 1 };
        return 1;
    }

    private struct Entry
    {
        public string Name;
        public int Count;
    }
}
