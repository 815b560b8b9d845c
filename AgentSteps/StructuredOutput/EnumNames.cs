using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// The names an enum's members have in schemas and replies: <see cref="JsonStringEnumMemberNameAttribute"/>, else
/// <see cref="EnumMemberAttribute"/>, else the member's name. Matched exactly; flag combinations are not names.
/// </summary>
internal sealed class EnumNames
{
    private static readonly ConcurrentDictionary<Type, EnumNames> s_cache = new();

    private readonly Dictionary<string, object> _values;
    private readonly Dictionary<object, string> _names = [];

    private EnumNames(Type type)
    {
        _values = new Dictionary<string, object>(StringComparer.Ordinal);
        var names = new List<string>();
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var name = field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ??
                       field.GetCustomAttribute<EnumMemberAttribute>()?.Value ??
                       field.Name;
            var value = field.GetValue(null)!;
            if (_values.TryAdd(name, value))
            {
                names.Add(name);
                _names.TryAdd(value, name);
            }
        }

        Names = names;
    }

    /// <summary>Gets the names in declaration order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Gets whether any member is renamed by an attribute.</summary>
    public static bool IsRenamed(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Any(f => f.IsDefined(typeof(JsonStringEnumMemberNameAttribute)));

    public static EnumNames For(Type type) => s_cache.GetOrAdd(type, static t => new EnumNames(t));

    /// <summary>Gets the name of a defined member, or <see langword="null"/> for a combination or an undefined value.</summary>
    public string? NameOf(object value) => _names.GetValueOrDefault(value);

    public bool TryGetValue(string name, out object? value)
    {
        bool found = _values.TryGetValue(name, out var boxed);
        value = boxed;
        return found;
    }
}
