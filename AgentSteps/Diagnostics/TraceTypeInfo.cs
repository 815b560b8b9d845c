using System.Collections;
using System.Collections.Concurrent;
using System.Numerics;
using System.Reflection;
using System.Text;
using AgentSteps.StructuredOutput;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;

namespace AgentSteps.Diagnostics;

/// <summary>
/// What the trace needs to know about one type, worked out once per type: how to snapshot its values, its readable
/// members (with the names the model sees, from the library's serializer contract) and a friendly name.
/// </summary>
internal sealed class TraceTypeInfo
{
    private static readonly ConcurrentDictionary<Type, TraceTypeInfo> s_cache = new();

    // Namespaces of services and machinery rather than data; their values are never read.
    private static readonly string[] s_nonDataNamespaces =
    [
        "System.Threading", "System.Reflection", "System.Net", "System.IO", "System.Runtime", "System.Diagnostics",
        "System.Security", "Microsoft.Extensions.Logging", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Options",
        "Microsoft.Extensions.Hosting", "Microsoft.AspNetCore", "Castle",
    ];

    private TraceTypeInfo(Type type)
    {
        Kind = Classify(type);
        Name = FriendlyName(VisibleType(type));
        if (Kind == TraceValueKind.Object)
        {
            Members = ReadMembers(type);
            MemberNames = Array.ConvertAll(Members, m => m.Name);
            if ((type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>)) || type == typeof(DictionaryEntry))
            {
                // A pair is a dictionary entry out of its dictionary (a header list): its key names its value.
                PairKeyIndex = Array.IndexOf(MemberNames, "Key");
                PairValueIndex = Array.IndexOf(MemberNames, "Value");
            }
        }

        if (Kind is TraceValueKind.Collection or TraceValueKind.Dictionary && !typeof(ICollection).IsAssignableFrom(type))
        {
            CountProperty = FindCountProperty(type);
        }

        if (Kind == TraceValueKind.Dictionary && !typeof(IDictionary).IsAssignableFrom(type))
        {
            var pair = FindDictionaryPairType(type);
            PairKey = pair?.GetProperty("Key");
            PairValue = pair?.GetProperty("Value");
        }
    }

    public TraceValueKind Kind { get; }

    /// <summary>Gets the type's name as C# writes it (<c>Func&lt;int, int&gt;</c>, <c>List&lt;Item&gt;</c>).</summary>
    public string Name { get; }

    /// <summary>Gets the index in <see cref="Members"/> of a key-value pair's key, or -1 when the type is no pair.</summary>
    public int PairKeyIndex { get; } = -1;

    /// <summary>Gets the index in <see cref="Members"/> of a key-value pair's value, or -1 when the type is no pair.</summary>
    public int PairValueIndex { get; } = -1;

    /// <summary>Gets the readable members of an <see cref="TraceValueKind.Object"/> type.</summary>
    public TraceMember[] Members { get; } = [];

    /// <summary>Gets the names of <see cref="Members"/>, shared by every snapshot of the type.</summary>
    public string[] MemberNames { get; } = [];

    /// <summary>Gets the <c>Count</c> of a collection that does not implement <see cref="ICollection"/>.</summary>
    public PropertyInfo? CountProperty { get; }

    /// <summary>Gets the key of a generic dictionary's boxed <see cref="KeyValuePair{TKey, TValue}"/> items.</summary>
    public PropertyInfo? PairKey { get; }

    /// <summary>Gets the value of a generic dictionary's boxed <see cref="KeyValuePair{TKey, TValue}"/> items.</summary>
    public PropertyInfo? PairValue { get; }

    public static TraceTypeInfo Get(Type type) =>
        s_cache.TryGetValue(type, out var info) ? info : s_cache.GetOrAdd(type, static t => new TraceTypeInfo(t));

    /// <summary>Whether values of the type are kept as they are (immutable leaves and non-data markers).</summary>
    public static bool IsKeptAsIs(object value)
    {
        // The common arguments first: a type test against a sealed type costs next to nothing, a cache lookup does not.
        if (value is string or int or long or bool or double or decimal or Guid or DateTime or DateTimeOffset or CancellationToken)
        {
            return true;
        }

        var type = value.GetType();
        return type.IsPrimitive || Get(type).Kind is TraceValueKind.Leaf or TraceValueKind.Marker;
    }

    public static string FriendlyName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return FriendlyName(underlying) + "?";
        }

        if (type.IsArray)
        {
            return FriendlyName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        var alias = Alias(type);
        if (alias is not null)
        {
            return alias;
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = new StringBuilder();
        var plain = type.Name;
        int tick = plain.IndexOf('`', StringComparison.Ordinal);
        name.Append(tick < 0 ? plain : plain[..tick]).Append('<');
        var arguments = type.GetGenericArguments();
        for (int i = 0; i < arguments.Length; i++)
        {
            name.Append(i == 0 ? string.Empty : ", ").Append(FriendlyName(arguments[i]));
        }

        return name.Append('>').ToString();
    }

    private static string? Alias(Type type) => Type.GetTypeCode(type) switch
    {
        _ when type.IsEnum => null,
        TypeCode.Boolean => "bool",
        TypeCode.Byte => "byte",
        TypeCode.SByte => "sbyte",
        TypeCode.Int16 => "short",
        TypeCode.UInt16 => "ushort",
        TypeCode.Int32 => "int",
        TypeCode.UInt32 => "uint",
        TypeCode.Int64 => "long",
        TypeCode.UInt64 => "ulong",
        TypeCode.Single => "float",
        TypeCode.Double => "double",
        TypeCode.Decimal => "decimal",
        TypeCode.Char => "char",
        TypeCode.String => "string",
        _ => type == typeof(object) ? "object" : null,
    };

    /// <summary>
    /// The public type that stands for a compiler-generated or internal one: <c>Task&lt;int&gt;</c> for an async state
    /// machine's box, <c>IEnumerable&lt;int&gt;</c> for an iterator.
    /// </summary>
    private static Type VisibleType(Type type)
    {
        if (type.IsVisible)
        {
            return type;
        }

        if (typeof(Type).IsAssignableFrom(type))
        {
            return typeof(Type); // not TypeInfo, RuntimeType's first public base
        }

        if (!typeof(Task).IsAssignableFrom(type))
        {
            foreach (var definition in new[] { typeof(IAsyncEnumerable<>), typeof(IEnumerable<>), typeof(IEnumerator<>) })
            {
                var match = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition && i.IsVisible);
                if (match is not null)
                {
                    return match;
                }
            }
        }

        for (var current = type.BaseType; current is not null && current != typeof(object) && current != typeof(ValueType); current = current.BaseType)
        {
            if (current.IsVisible)
            {
                return current;
            }
        }

        return type;
    }

    private static TraceValueKind Classify(Type type)
    {
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime) ||
            type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid) || type == typeof(DateOnly) ||
            type == typeof(TimeOnly) || type == typeof(Uri) || type == typeof(Version) || type == typeof(BigInteger) ||
            type == typeof(Half) || type == typeof(Int128) || type == typeof(UInt128))
        {
            return TraceValueKind.Leaf;
        }

        if (typeof(JToken).IsAssignableFrom(type))
        {
            return TraceValueKind.Json;
        }

        if (type == typeof(System.Text.Json.JsonElement) || type == typeof(System.Text.Json.JsonDocument) ||
            typeof(System.Text.Json.Nodes.JsonValue).IsAssignableFrom(type))
        {
            return TraceValueKind.Text;
        }

        if (IsNonData(type))
        {
            return TraceValueKind.Marker;
        }

        if (typeof(IDictionary).IsAssignableFrom(type) || FindDictionaryPairType(type) is not null)
        {
            return TraceValueKind.Dictionary;
        }

        if (type.IsArray || typeof(ICollection).IsAssignableFrom(type) || Implements(type, typeof(IReadOnlyCollection<>)) || Implements(type, typeof(ICollection<>)))
        {
            return TraceValueKind.Collection;
        }

        // Anything else that enumerates is lazy: enumerating it for the trace would run its code again.
        if (typeof(IEnumerable).IsAssignableFrom(type) || typeof(IDisposable).IsAssignableFrom(type) || typeof(IAsyncDisposable).IsAssignableFrom(type) ||
            Implements(type, typeof(IAsyncEnumerable<>)))
        {
            return TraceValueKind.Marker;
        }

        if (typeof(Exception).IsAssignableFrom(type))
        {
            return TraceValueKind.Exception;
        }

        return AgentStepsJson.Serializer.ContractResolver.ResolveContract(type) switch
        {
            JsonObjectContract => TraceValueKind.Object,
            JsonPrimitiveContract => TraceValueKind.Text, // and JsonStringContract: types with a string converter
            _ => TraceValueKind.Marker,
        };
    }

    private static bool IsNonData(Type type)
    {
        if (typeof(Delegate).IsAssignableFrom(type) || typeof(Task).IsAssignableFrom(type) || typeof(IAsyncResult).IsAssignableFrom(type) ||
            typeof(IServiceProvider).IsAssignableFrom(type) || typeof(MemberInfo).IsAssignableFrom(type) || typeof(Assembly).IsAssignableFrom(type) ||
            type == typeof(ExecutedStep) || type == typeof(Runtime) || type.IsPointer || type.IsCOMObject)
        {
            return true;
        }

        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            if (definition == typeof(ValueTask<>) || definition == typeof(Memory<>) || definition == typeof(ReadOnlyMemory<>) || definition == typeof(Lazy<>))
            {
                return true;
            }
        }

        if (type == typeof(ValueTask))
        {
            return true;
        }

        // Anything awaitable.
        if (type.GetMethod("GetAwaiter", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is not null)
        {
            return true;
        }

        var space = type.Namespace;
        if (space is null)
        {
            return false;
        }

        foreach (var nonData in s_nonDataNamespaces)
        {
            if (space.StartsWith(nonData, StringComparison.Ordinal) && (space.Length == nonData.Length || space[nonData.Length] == '.'))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Implements(Type type, Type genericInterface) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == genericInterface) ||
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == genericInterface);

    private static Type? FindDictionaryPairType(Type type)
    {
        foreach (var candidate in type.GetInterfaces().Prepend(type))
        {
            if (candidate.IsGenericType && (candidate.GetGenericTypeDefinition() == typeof(IDictionary<,>) || candidate.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)))
            {
                return typeof(KeyValuePair<,>).MakeGenericType(candidate.GetGenericArguments());
            }
        }

        return null;
    }

    private static PropertyInfo? FindCountProperty(Type type)
    {
        foreach (var candidate in type.GetInterfaces().Prepend(type))
        {
            if (candidate.IsGenericType && (candidate.GetGenericTypeDefinition() == typeof(IReadOnlyCollection<>) || candidate.GetGenericTypeDefinition() == typeof(ICollection<>)))
            {
                return candidate.GetProperty("Count");
            }
        }

        return null;
    }

    private static TraceMember[] ReadMembers(Type type)
    {
        var contract = (JsonObjectContract)AgentStepsJson.Serializer.ContractResolver.ResolveContract(type);
        return contract.Properties
            .Where(p => !p.Ignored && p.Readable && p.ValueProvider is not null && p.PropertyName is not null)
            .Select(p => new TraceMember(p.PropertyName!, p.ValueProvider!, SecretNames.IsSecret(p.PropertyName!)))
            .ToArray();
    }
}
