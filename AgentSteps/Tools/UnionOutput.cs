using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Tools;

/// <summary>
/// The output of an LLM step whose return type is abstract with variants: the types listed on it with
/// <see cref="JsonDerivedTypeAttribute"/>, or without any, its non-abstract subtypes in its assembly. The model answers
/// by calling one output tool per variant (the Python library's "turn a Union into tool calls"); each variant is read and
/// validated by its own output contract. Made once per step, at <c>Steps.Create</c>.
/// </summary>
internal sealed class UnionOutput
{
    private readonly Dictionary<string, Variant> _byName;

    private UnionOutput(Type baseType, Variant[] variants)
    {
        BaseType = baseType;
        Variants = variants;
        _byName = variants.ToDictionary(v => v.Name, StringComparer.Ordinal);
        Names = string.Join(", ", variants.Select(v => v.Name));
    }

    public Type BaseType { get; }

    public IReadOnlyList<Variant> Variants { get; }

    /// <summary>Gets the output tools' names, comma-separated, for corrections.</summary>
    public string Names { get; }

    public Variant? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Gets whether <paramref name="type"/> is a union: an abstract class (not a collection or untyped), or an interface
    /// that lists its variants with <see cref="JsonDerivedTypeAttribute"/>.
    /// </summary>
    public static bool IsUnion(Type type) =>
        type.IsAbstract && !type.ContainsGenericParameters && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type) &&
        !typeof(Newtonsoft.Json.Linq.JToken).IsAssignableFrom(type) && !typeof(Delegate).IsAssignableFrom(type) &&
        (!type.IsInterface || type.IsDefined(typeof(JsonDerivedTypeAttribute), inherit: false));

    /// <summary>Builds the union output of <paramref name="baseType"/>, or returns the problem that prevents it.</summary>
    public static UnionOutput? TryCreate(Type baseType, out string? problem)
    {
        problem = null;
        var found = new List<(Type Type, string? Discriminator)>();
        foreach (var listed in baseType.GetCustomAttributes<JsonDerivedTypeAttribute>(inherit: false))
        {
            found.Add((listed.DerivedType, listed.TypeDiscriminator as string));
        }

        bool fromAttributes = found.Count > 0;
        if (!fromAttributes)
        {
            Type[] types;
            try
            {
                types = baseType.Assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                types = e.Types.Where(t => t is not null).ToArray()!;
            }

            foreach (var type in types.OrderBy(t => t.MetadataToken))
            {
                if (type != baseType && baseType.IsAssignableFrom(type) && !type.IsAbstract && !type.IsInterface && !type.ContainsGenericParameters)
                {
                    found.Add((type, null));
                }
            }
        }

        if (found.Count == 0)
        {
            problem = $"it is abstract and has no concrete variant. List its variants with [JsonDerivedType(typeof(Variant))] on {baseType.Name}, " +
                      "or declare non-abstract types that derive from it in its assembly";
            return null;
        }

        var variants = new List<Variant>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (type, discriminator) in found)
        {
            if (type.IsAbstract || type.IsInterface || !baseType.IsAssignableFrom(type))
            {
                problem = $"its variant {type.Name} is {(type.IsAbstract || type.IsInterface ? "abstract" : $"not a {baseType.Name}")}; list concrete types that derive from {baseType.Name}";
                return null;
            }

            OutputContract contract;
            try
            {
                contract = OutputContract.For(type);
            }
            catch (OutputSchemaException e)
            {
                problem = $"its variant {type.Name} cannot be a strict structured output: {e.Message}";
                return null;
            }

            if (contract.Kind != OutputKind.Object)
            {
                problem = $"its variant {type.Name} is not an object with properties; make each variant a class or record";
                return null;
            }

            var name = OutputContract.SafeName(discriminator ?? type.Name);
            if (!names.Add(name))
            {
                problem = $"two of its variants would both be answered by the tool '{name}'; give them distinct names or [JsonDerivedType] discriminators";
                return null;
            }

            var description = type.GetCustomAttribute<DescriptionAttribute>()?.Description;
            variants.Add(new Variant(name, type, contract, description));
        }

        return new UnionOutput(baseType, [.. variants]);
    }


    /// <summary>One variant: its output tool, the type it stands for and the contract its arguments are read with.</summary>
    internal sealed class Variant : AIFunctionDeclaration
    {
        private readonly JsonElement _schema;
        private readonly IReadOnlyDictionary<string, object?> _additionalProperties = new AdditionalPropertiesDictionary { ["strict"] = true };

        public Variant(string name, Type type, OutputContract contract, string? description)
        {
            Name = name;
            Type = type;
            Contract = contract;
            Description = description is null
                ? $"Give your final answer as {type.Name}: call this tool once, with the answer as its arguments."
                : $"Give your final answer as {type.Name} ({description}): call this tool once, with the answer as its arguments.";
            _schema = JsonDocument.Parse(contract.SchemaJson!).RootElement.Clone();
        }

        public override string Name { get; }

        public override string Description { get; }

        public override JsonElement JsonSchema => _schema;

        public override IReadOnlyDictionary<string, object?> AdditionalProperties => _additionalProperties;

        public Type Type { get; }

        public OutputContract Contract { get; }
    }
}
