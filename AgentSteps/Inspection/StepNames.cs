using System.Reflection;
using System.Text;

namespace AgentSteps.Inspection;

/// <summary>
/// Names steps and workflows as a C# developer writes them: <c>Extract&lt;Item&gt;</c> rather than <c>Extract`1</c>, and an
/// overloaded step as <c>Go(string, int)</c> so that each overload has its own name in traces, spans, graphs and errors.
/// </summary>
internal static class StepNames
{
    private const BindingFlags AllMethods = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly Dictionary<Type, string> s_keywords = new()
    {
        [typeof(bool)] = "bool",
        [typeof(byte)] = "byte",
        [typeof(sbyte)] = "sbyte",
        [typeof(char)] = "char",
        [typeof(short)] = "short",
        [typeof(ushort)] = "ushort",
        [typeof(int)] = "int",
        [typeof(uint)] = "uint",
        [typeof(long)] = "long",
        [typeof(ulong)] = "ulong",
        [typeof(float)] = "float",
        [typeof(double)] = "double",
        [typeof(decimal)] = "decimal",
        [typeof(string)] = "string",
        [typeof(object)] = "object",
        [typeof(void)] = "void",
        [typeof(nint)] = "nint",
        [typeof(nuint)] = "nuint",
    };

    /// <summary>Gets the name of a type as C# writes it, without namespace: <c>Extract&lt;Item&gt;</c>, <c>int?</c>, <c>List&lt;string&gt;[]</c>.</summary>
    public static string TypeName(Type type) => TypeName(type, Detail.Simple);

    private static string TypeName(Type type, Detail detail)
    {
        if (s_keywords.TryGetValue(type, out var keyword))
        {
            return keyword;
        }

        if (type.IsByRef)
        {
            return "ref " + TypeName(type.GetElementType()!, detail);
        }

        if (type.IsPointer)
        {
            return TypeName(type.GetElementType()!, detail) + "*";
        }

        if (type.IsArray)
        {
            return TypeName(type.GetElementType()!, detail) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return TypeName(underlying, detail) + "?";
        }

        if (!type.IsGenericType)
        {
            return Qualifier(type, detail) + type.Name;
        }

        var name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        var builder = new StringBuilder(Qualifier(type, detail)).Append(tick < 0 ? name : name[..tick]);

        // A nested type of a generic type carries its outer type's arguments first; show only its own.
        var arguments = type.GetGenericArguments();
        int own = tick < 0 ? 0 : int.Parse(name.AsSpan(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
        if (own > 0)
        {
            builder.Append('<').AppendJoin(", ", arguments.Skip(arguments.Length - own).Select(a => TypeName(a, detail))).Append('>');
        }

        return builder.ToString();
    }

    /// <summary>Gets a step's name: the method name, or the method name with its parameter types when the workflow has several steps of that name.</summary>
    /// <remarks>
    /// Overloads whose parameter types share a simple name (<c>Billing.Item</c>, <c>Shipping.Item</c>) are told apart by
    /// the types' declaring types, then by their namespaces: no two steps of a workflow share a name.
    /// </remarks>
    public static string StepName(Type workflowType, MethodInfo method)
    {
        if (!IsOverloaded(workflowType, method.Name))
        {
            return method.Name;
        }

        foreach (var detail in (ReadOnlySpan<Detail>)[Detail.Simple, Detail.DeclaringTypes])
        {
            var signature = Signature(method, detail);
            if (!StepMethods(workflowType).Any(m => m.Name == method.Name && !SameMethod(m, method) && Signature(m, detail) == signature))
            {
                return signature;
            }
        }

        return Signature(method, Detail.Namespaces);
    }

    /// <summary>Gets <c>Go(string, int)</c>.</summary>
    public static string Signature(MethodInfo method) => Signature(method, Detail.Simple);

    private static string Signature(MethodInfo method, Detail detail)
    {
        var builder = new StringBuilder(method.Name);
        if (method.IsGenericMethodDefinition)
        {
            builder.Append('<').AppendJoin(", ", method.GetGenericArguments().Select(a => TypeName(a, detail))).Append('>');
        }

        return builder.Append('(').AppendJoin(", ", method.GetParameters().Select(p => TypeName(p.ParameterType, detail))).Append(')').ToString();
    }

    private static string Qualifier(Type type, Detail detail)
    {
        if (detail == Detail.Simple || type.IsGenericParameter)
        {
            return string.Empty;
        }

        var outer = type.DeclaringType;
        if (outer is not null)
        {
            return TypeName(outer, detail) + ".";
        }

        return detail == Detail.Namespaces && type.Namespace is { Length: > 0 } space ? space + "." : string.Empty;
    }

    private static bool SameMethod(MethodInfo a, MethodInfo b)
    {
        var left = a.GetBaseDefinition();
        var right = b.GetBaseDefinition();
        return left.MetadataToken == right.MetadataToken && left.Module == right.Module;
    }

    /// <summary>Gets the [Step] methods of a workflow, overrides counted once.</summary>
    public static IEnumerable<MethodInfo> StepMethods(Type workflowType) =>
        workflowType.GetMethods(AllMethods).Where(m => m.DeclaringType != typeof(object) && m.IsDefined(typeof(StepAttribute), inherit: true));

    private static bool IsOverloaded(Type workflowType, string name)
    {
        int count = 0;
        foreach (var method in StepMethods(workflowType))
        {
            if (method.Name == name && ++count > 1)
            {
                return true;
            }
        }

        return false;
    }

    private enum Detail
    {
        Simple,
        DeclaringTypes,
        Namespaces,
    }
}
