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
    public static string TypeName(Type type)
    {
        if (s_keywords.TryGetValue(type, out var keyword))
        {
            return keyword;
        }

        if (type.IsByRef)
        {
            return "ref " + TypeName(type.GetElementType()!);
        }

        if (type.IsPointer)
        {
            return TypeName(type.GetElementType()!) + "*";
        }

        if (type.IsArray)
        {
            return TypeName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return TypeName(underlying) + "?";
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        var builder = new StringBuilder(tick < 0 ? name : name[..tick]);

        // A nested type of a generic type carries its outer type's arguments first; show only its own.
        var arguments = type.GetGenericArguments();
        int own = tick < 0 ? 0 : int.Parse(name.AsSpan(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
        if (own > 0)
        {
            builder.Append('<').AppendJoin(", ", arguments.Skip(arguments.Length - own).Select(TypeName)).Append('>');
        }

        return builder.ToString();
    }

    /// <summary>Gets a step's name: the method name, or the method name with its parameter types when the workflow has several steps of that name.</summary>
    public static string StepName(Type workflowType, MethodInfo method) =>
        IsOverloaded(workflowType, method.Name) ? Signature(method) : method.Name;

    /// <summary>Gets <c>Go(string, int)</c>.</summary>
    public static string Signature(MethodInfo method)
    {
        var builder = new StringBuilder(method.Name);
        if (method.IsGenericMethodDefinition)
        {
            builder.Append('<').AppendJoin(", ", method.GetGenericArguments().Select(TypeName)).Append('>');
        }

        return builder.Append('(').AppendJoin(", ", method.GetParameters().Select(p => TypeName(p.ParameterType))).Append(')').ToString();
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
}
