using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace AgentSteps;

/// <summary>A step's arguments by parameter name, read from the call's argument array without copying it.</summary>
internal sealed class StepArguments(string[] names, int[] indices, object?[] values) : IReadOnlyDictionary<string, object?>
{
    public int Count => names.Length;

    public IEnumerable<string> Keys => names;

    public IEnumerable<object?> Values => indices.Select(i => values[i]);

    public object? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The step has no parameter named '{key}'.");

    public bool ContainsKey(string key) => Array.IndexOf(names, key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        int position = Array.IndexOf(names, key);
        value = position < 0 ? null : values[indices[position]];
        return position >= 0;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < names.Length; i++)
        {
            yield return new KeyValuePair<string, object?>(names[i], values[indices[i]]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
