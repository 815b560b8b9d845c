using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Reflection;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Validates a parsed reply with DataAnnotations and <see cref="IValidatableObject"/>, through nested objects and
/// collections (the BCL's <see cref="Validator"/> checks one level only).
/// </summary>
internal static class DataAnnotationsValidator
{
    private const int MaxDepth = 32;

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_properties = new();

    /// <summary>Whether anything in the type's graph carries a validation attribute or implements <see cref="IValidatableObject"/>.</summary>
    public static bool NeedsValidation(Type type) => NeedsValidation(type, new HashSet<Type>());

    public static void Validate(object? value, List<string> errors) =>
        Validate(value, "$", errors, new HashSet<object>(ReferenceEqualityComparer.Instance), 0);

    public static bool IsSimple(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) ||
               type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) ||
               type == typeof(TimeOnly) || type == typeof(TimeSpan) || type == typeof(Guid) || type == typeof(Uri);
    }

    private static bool NeedsValidation(Type type, HashSet<Type> seen)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsSimple(type) || !seen.Add(type))
        {
            return false;
        }

        if (typeof(IValidatableObject).IsAssignableFrom(type) || type.IsDefined(typeof(ValidationAttribute), inherit: true))
        {
            return true;
        }

        if (type.IsArray)
        {
            return NeedsValidation(type.GetElementType()!, seen);
        }

        if (type.IsGenericType && type.GetGenericArguments().Any(a => NeedsValidation(a, seen)))
        {
            return true;
        }

        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p =>
            p.IsDefined(typeof(ValidationAttribute), inherit: true) || NeedsValidation(p.PropertyType, seen));
    }

    private static void Validate(object? value, string path, List<string> errors, HashSet<object> visited, int depth)
    {
        if (value is null || depth > MaxDepth || IsSimple(value.GetType()) || !visited.Add(value))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            int index = 0;
            foreach (var item in items)
            {
                Validate(item, $"{path}[{index++}]", errors, visited, depth + 1);
            }

            return;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            foreach (var result in results)
            {
                var members = string.Join(", ", result.MemberNames);
                errors.Add($"{path}{(members.Length > 0 ? "." + members : string.Empty)}: {result.ErrorMessage}");
            }
        }

        foreach (var property in s_properties.GetOrAdd(value.GetType(), static t => t
                     .GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !IsSimple(p.PropertyType))
                     .ToArray()))
        {
            Validate(property.GetValue(value), path + "." + property.Name, errors, visited, depth + 1);
        }
    }
}
