using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;

namespace AgentSteps.Tools;

/// <summary>
/// Makes, for a step offered as a tool, a class with one property per argument, so that the arguments the model sends
/// are described, read and validated exactly as a structured output is: the same strict schema, the same strict reader,
/// the same corrections. The properties carry the parameters' own attributes (<c>[Description]</c>, DataAnnotations) and
/// nullability. Made once per step, at <c>Steps.Create</c>.
/// </summary>
internal static partial class ToolArgumentTypes
{
    private const string NullableAttributeName = "System.Runtime.CompilerServices.NullableAttribute";
    private const string NullableContextAttributeName = "System.Runtime.CompilerServices.NullableContextAttribute";

    private static readonly Lock s_gate = new();
    private static ModuleBuilder? s_module;
    private static ConstructorInfo? s_nullable;
    private static int s_count;

    /// <summary>Makes the arguments class of <paramref name="method"/>'s parameters at <paramref name="indices"/>.</summary>
    public static Type Create(Type workflowType, MethodInfo method, int[] indices)
    {
        var parameters = method.GetParameters();
        lock (s_gate)
        {
            var module = s_module ??= CreateModule();
            var name = $"AgentSteps.ToolArguments.{Sanitize(workflowType.Name)}_{Sanitize(method.Name)}_{++s_count}";
            var type = module.DefineType(name, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(object));
            type.DefineDefaultConstructor(MethodAttributes.Public);
            foreach (int index in indices)
            {
                DefineProperty(type, parameters[index]);
            }

            return type.CreateType();
        }
    }

    private static void DefineProperty(TypeBuilder type, ParameterInfo parameter)
    {
        var propertyType = parameter.ParameterType;
        var name = parameter.Name ?? $"arg{parameter.Position}";
        var field = type.DefineField("_" + name, propertyType, FieldAttributes.Private);
        var property = type.DefineProperty(name, PropertyAttributes.None, propertyType, null);
        const MethodAttributes accessor = MethodAttributes.Public | MethodAttributes.SpecialName | MethodAttributes.HideBySig;

        var getter = type.DefineMethod("get_" + name, accessor, propertyType, Type.EmptyTypes);
        var il = getter.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, field);
        il.Emit(OpCodes.Ret);
        property.SetGetMethod(getter);

        var setter = type.DefineMethod("set_" + name, accessor, null, [propertyType]);
        il = setter.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Stfld, field);
        il.Emit(OpCodes.Ret);
        property.SetSetMethod(setter);

        foreach (var data in parameter.GetCustomAttributesData())
        {
            if (Copy(data) is { } copy)
            {
                property.SetCustomAttribute(copy);
            }
        }

        // Schema generation reads nullability from the compiler's attribute by name; the parameter's flags say it exactly.
        if (NullableFlags(parameter) is { } flags)
        {
            property.SetCustomAttribute(new CustomAttributeBuilder(s_nullable!, [flags]));
        }
    }

    /// <summary>Copies a parameter attribute that describes or validates its value; compiler and binding attributes are left out.</summary>
    private static CustomAttributeBuilder? Copy(CustomAttributeData data)
    {
        var attributeType = data.AttributeType;
        if (!attributeType.IsPublic && !attributeType.IsNestedPublic)
        {
            return null;
        }

        var usage = attributeType.GetCustomAttribute<AttributeUsageAttribute>();
        if (usage is not null && (usage.ValidOn & AttributeTargets.Property) == 0)
        {
            return null;
        }

        try
        {
            var named = data.NamedArguments;
            var properties = new List<PropertyInfo>();
            var propertyValues = new List<object?>();
            var fields = new List<FieldInfo>();
            var fieldValues = new List<object?>();
            foreach (var argument in named)
            {
                if (argument.MemberInfo is PropertyInfo property)
                {
                    properties.Add(property);
                    propertyValues.Add(Value(argument.TypedValue));
                }
                else if (argument.MemberInfo is FieldInfo field)
                {
                    fields.Add(field);
                    fieldValues.Add(Value(argument.TypedValue));
                }
            }

            return new CustomAttributeBuilder(
                data.Constructor,
                data.ConstructorArguments.Select(Value).ToArray(),
                properties.ToArray(),
                propertyValues.ToArray(),
                fields.ToArray(),
                fieldValues.ToArray());
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return null; // an attribute that cannot be rebuilt is left out; the schema and reader do without it
        }
    }

    private static object? Value(CustomAttributeTypedArgument argument)
    {
        if (argument.Value is IReadOnlyCollection<CustomAttributeTypedArgument> items)
        {
            var elementType = argument.ArgumentType.GetElementType()!;
            var array = Array.CreateInstance(elementType, items.Count);
            int i = 0;
            foreach (var item in items)
            {
                array.SetValue(Value(item), i++);
            }

            return array;
        }

        return argument.ArgumentType.IsEnum && argument.Value is not null ? Enum.ToObject(argument.ArgumentType, argument.Value) : argument.Value;
    }

    /// <summary>Gets the nullable-reference flags the compiler wrote for the parameter, or those of its nearest context.</summary>
    private static byte[]? NullableFlags(ParameterInfo parameter)
    {
        foreach (var data in parameter.GetCustomAttributesData())
        {
            if (data.AttributeType.FullName == NullableAttributeName && data.ConstructorArguments.Count == 1)
            {
                return data.ConstructorArguments[0].Value switch
                {
                    byte flag => [flag],
                    IReadOnlyCollection<CustomAttributeTypedArgument> flags => flags.Select(f => (byte)f.Value!).ToArray(),
                    _ => null,
                };
            }
        }

        for (MemberInfo? member = parameter.Member; member is not null; member = member.DeclaringType)
        {
            foreach (var data in member.GetCustomAttributesData())
            {
                if (data.AttributeType.FullName == NullableContextAttributeName && data.ConstructorArguments is [{ Value: byte context }])
                {
                    return [context];
                }
            }
        }

        return null;
    }

    private static ModuleBuilder CreateModule()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("AgentSteps.ToolArguments"), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("AgentSteps.ToolArguments");

        // The compiler embeds its own NullableAttribute in each assembly; schema generation finds it by name and reads
        // its NullableFlags field, so this module gets one of the same shape.
        var attribute = module.DefineType(NullableAttributeName, TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(Attribute));
        var flags = attribute.DefineField("NullableFlags", typeof(byte[]), FieldAttributes.Public | FieldAttributes.InitOnly);
        var constructor = attribute.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, [typeof(byte[])]);
        var il = constructor.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Call, typeof(Attribute).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes)!);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Stfld, flags);
        il.Emit(OpCodes.Ret);
        attribute.CreateType();
        s_nullable = constructor;
        return module;
    }

    private static string Sanitize(string name) => NameCharacters().Replace(name, "_");

    [GeneratedRegex("[^a-zA-Z0-9_]")]
    private static partial Regex NameCharacters();
}
