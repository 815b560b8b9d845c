using System.Collections;

namespace AgentSteps.Internal;

/// <summary>A list that throws on every change once its owner is frozen.</summary>
internal sealed class FreezableList<T>(Freezable owner, string name) : IList<T>
{
    private readonly List<T> _items = [];

    public int Count => _items.Count;

    public bool IsReadOnly => owner.IsFrozen;

    public T this[int index]
    {
        get => _items[index];
        set
        {
            owner.ThrowIfFrozen(name);
            _items[index] = Throw.IfNull(value);
        }
    }

    public void Add(T item)
    {
        owner.ThrowIfFrozen(name);
        _items.Add(Throw.IfNull(item));
    }

    public void Insert(int index, T item)
    {
        owner.ThrowIfFrozen(name);
        _items.Insert(index, Throw.IfNull(item));
    }

    public bool Remove(T item)
    {
        owner.ThrowIfFrozen(name);
        return _items.Remove(item);
    }

    public void RemoveAt(int index)
    {
        owner.ThrowIfFrozen(name);
        _items.RemoveAt(index);
    }

    public void Clear()
    {
        owner.ThrowIfFrozen(name);
        _items.Clear();
    }

    public bool Contains(T item) => _items.Contains(item);

    public int IndexOf(T item) => _items.IndexOf(item);

    public void CopyTo(T[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

    public T[] ToArray() => _items.ToArray();

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
