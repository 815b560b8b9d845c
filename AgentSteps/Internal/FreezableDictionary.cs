using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace AgentSteps.Internal;

/// <summary>A dictionary that throws on every change once its owner is frozen.</summary>
internal sealed class FreezableDictionary<TKey, TValue>(Freezable owner, string name, IEqualityComparer<TKey>? comparer = null) : IDictionary<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _items = new(comparer);

    public int Count => _items.Count;

    public bool IsReadOnly => owner.IsFrozen;

    public ICollection<TKey> Keys => _items.Keys;

    public ICollection<TValue> Values => _items.Values;

    public TValue this[TKey key]
    {
        get => _items[key];
        set
        {
            owner.ThrowIfFrozen(name);
            _items[key] = value;
        }
    }

    public void Add(TKey key, TValue value)
    {
        owner.ThrowIfFrozen(name);
        _items.Add(key, value);
    }

    public void Add(KeyValuePair<TKey, TValue> item) => Add(item.Key, item.Value);

    public bool Remove(TKey key)
    {
        owner.ThrowIfFrozen(name);
        return _items.Remove(key);
    }

    public bool Remove(KeyValuePair<TKey, TValue> item)
    {
        owner.ThrowIfFrozen(name);
        return ((ICollection<KeyValuePair<TKey, TValue>>)_items).Remove(item);
    }

    public void Clear()
    {
        owner.ThrowIfFrozen(name);
        _items.Clear();
    }

    public bool ContainsKey(TKey key) => _items.ContainsKey(key);

    public bool Contains(KeyValuePair<TKey, TValue> item) => ((ICollection<KeyValuePair<TKey, TValue>>)_items).Contains(item);

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value) => _items.TryGetValue(key, out value);

    public void CopyTo(KeyValuePair<TKey, TValue>[] array, int arrayIndex) => ((ICollection<KeyValuePair<TKey, TValue>>)_items).CopyTo(array, arrayIndex);

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
