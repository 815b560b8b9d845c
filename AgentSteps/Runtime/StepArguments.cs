using System.Collections;
using System.Diagnostics.CodeAnalysis;
using AgentSteps.Diagnostics;

namespace AgentSteps;

/// <summary>
/// A step's arguments by parameter name, read from the snapshots taken when the step started; each is rebuilt from its
/// snapshot on first read (see <see cref="TraceSnapshot.Materialize"/>) and kept.
/// </summary>
internal sealed class StepArguments(string[] names, int[] indices, object?[] snapshots, StepTraceOptions trace) : IReadOnlyDictionary<string, object?>
{
    private readonly object?[] _values = new object?[names.Length];

    public int Count => names.Length;

    public IEnumerable<string> Keys => names;

    public IEnumerable<object?> Values => Enumerable.Range(0, names.Length).Select(ValueAt);

    public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The step has no parameter named '{key}'.");

    public bool ContainsKey(string key) => Array.IndexOf(names, key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        int position = Array.IndexOf(names, key);
        value = position < 0 ? null : ValueAt(position);
        return position >= 0;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < names.Length; i++)
        {
            yield return new KeyValuePair<string, object?>(names[i], ValueAt(i));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private object? ValueAt(int position)
    {
        var snapshot = snapshots[indices[position]];
        if (snapshot is not TraceValue)
        {
            return snapshot;
        }

        if (_values[position] is null)
        {
            // Rebuilt once, so every read returns the same instance.
            Interlocked.CompareExchange(ref _values[position], TraceSnapshot.Materialize(snapshot, trace), null);
        }

        return _values[position];
    }
}
