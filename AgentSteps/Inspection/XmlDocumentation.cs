using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace AgentSteps.Inspection;

/// <summary>
/// Reads a method's <c>&lt;summary&gt;</c> from the XML documentation file shipped beside its assembly, for LLM steps
/// without a <see cref="System.ComponentModel.DescriptionAttribute"/>.
/// </summary>
internal static partial class XmlDocumentation
{
    private static readonly ConcurrentDictionary<Assembly, IReadOnlyDictionary<string, XElement>?> s_files = new();

    public static string? Summary(MethodInfo method)
    {
        var members = s_files.GetOrAdd(method.Module.Assembly, Load);
        if (members is null || !members.TryGetValue(DocumentationId(method), out var member))
        {
            return null;
        }

        var summary = member.Element("summary");
        if (summary is null)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var node in summary.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "see" or "seealso" } e =>
                    (string?)e.Attribute("langword") ?? ShortName((string?)e.Attribute("cref") ?? e.Value),
                XElement { Name.LocalName: "paramref" or "typeparamref" } e => (string?)e.Attribute("name"),
                XElement e => e.Value,
                _ => string.Empty,
            });
        }

        var normalized = Whitespace().Replace(text.ToString(), " ").Trim();
        return normalized.Length == 0 ? null : normalized;
    }

    /// <summary>Builds the documentation comment ID of a method, such as <c>M:Ns.Type.Method(System.String)</c>.</summary>
    public static string DocumentationId(MethodInfo method)
    {
        if (method.DeclaringType is { IsGenericType: true, IsGenericTypeDefinition: false } declaring)
        {
            // The ID names the declaration: in Extract<Item>, Run(Item) is documented as M:Ns.Extract`1.Run(`0).
            method = (MethodInfo)MethodBase.GetMethodFromHandle(method.MethodHandle, declaring.GetGenericTypeDefinition().TypeHandle)!;
        }

        var id = new StringBuilder("M:").Append(TypeName(method.DeclaringType!, forDeclaration: true)).Append('.').Append(method.Name);
        if (method.IsGenericMethodDefinition || method.IsGenericMethod)
        {
            id.Append("``").Append(method.GetGenericArguments().Length);
        }

        var parameters = method.GetParameters();
        if (parameters.Length > 0)
        {
            id.Append('(').AppendJoin(',', parameters.Select(p => TypeName(p.ParameterType, forDeclaration: false))).Append(')');
        }

        return id.ToString();
    }

    private static string TypeName(Type type, bool forDeclaration)
    {
        if (type.IsByRef)
        {
            return TypeName(type.GetElementType()!, forDeclaration) + "@";
        }

        if (type.IsArray)
        {
            return TypeName(type.GetElementType()!, forDeclaration) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (type.IsGenericParameter)
        {
            return (type.DeclaringMethod is null ? "`" : "``") + type.GenericParameterPosition;
        }

        var name = type.IsNested
            ? TypeName(type.DeclaringType!, forDeclaration: true) + "." + type.Name
            : (type.Namespace is null ? string.Empty : type.Namespace + ".") + type.Name;
        if (!type.IsGenericType || forDeclaration)
        {
            return name;
        }

        int tick = name.LastIndexOf('`');
        var arguments = type.GetGenericArguments().Select(a => TypeName(a, forDeclaration: false));
        return (tick < 0 ? name : name[..tick]) + "{" + string.Join(",", arguments) + "}";
    }

    private static string ShortName(string cref)
    {
        int dot = cref.LastIndexOf('.');
        return dot < 0 ? cref : cref[(dot + 1)..];
    }

    private static IReadOnlyDictionary<string, XElement>? Load(Assembly assembly)
    {
        if (string.IsNullOrEmpty(assembly.Location))
        {
            return null;
        }

        var path = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var members = new Dictionary<string, XElement>(StringComparer.Ordinal);
            foreach (var member in XDocument.Load(path).Descendants("member"))
            {
                if ((string?)member.Attribute("name") is { } name)
                {
                    members[name] = member;
                }
            }

            return members;
        }
        catch (System.Xml.XmlException)
        {
            // A malformed documentation file means no summaries, not a failed workflow.
            return null;
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
