using System.Globalization;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Puts NJsonSchema's validation errors in the corrections' style, <c>$.path: what is wrong</c>, in words a model
/// understands (never its codes such as <c>PropertyRequired</c>).
/// </summary>
internal static class SchemaErrors
{
    /// <summary>The most errors collected from one reply; a correction lists fewer still.</summary>
    public const int MaxCollected = 1000;

    public static void Describe(ValidationError error, List<string> found)
    {
        if (found.Count >= MaxCollected)
        {
            return;
        }

        if (error is ChildSchemaValidationError child && child.Errors.Count > 0)
        {
            // A nullable value is anyOf [null, T]: the null branch's complaint says nothing the other branch does not.
            foreach (var branch in child.Errors.Values.Where(e => !e.All(x => x.Kind == ValidationErrorKind.NullExpected)))
            {
                foreach (var nested in branch)
                {
                    Describe(nested, found);
                }
            }

            return;
        }

        if (error is MultiTypeValidationError multi && multi.Errors.Count > 0 && error.Kind != ValidationErrorKind.NoTypeValidates)
        {
            foreach (var nested in multi.Errors.Values.SelectMany(e => e))
            {
                Describe(nested, found);
            }

            return;
        }

        var path = ReplyPath.FromSchema(error.Path);
        var line = error.Kind switch
        {
            ValidationErrorKind.PropertyRequired => $"{ReplyPath.Parent(path, error.Property)}: missing required property '{error.Property}'",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => $"{path}: unknown property",
            _ => $"{path}: {Problem(error)}",
        };
        if (!found.Contains(line))
        {
            found.Add(line);
        }
    }

    private static string Problem(ValidationError error)
    {
        var schema = error.Schema;
        var got = Got(error.Token);
        return error.Kind switch
        {
            ValidationErrorKind.StringExpected => $"expected a string, got {got}",
            ValidationErrorKind.NumberExpected => $"expected a number, got {got}",
            ValidationErrorKind.IntegerExpected => $"expected an integer, got {got}",
            ValidationErrorKind.BooleanExpected => $"expected true or false, got {got}",
            ValidationErrorKind.ObjectExpected => $"expected an object, got {got}",
            ValidationErrorKind.ArrayExpected => $"expected an array, got {got}",
            ValidationErrorKind.NullExpected => $"expected null, got {got}",
            ValidationErrorKind.NoTypeValidates => $"got {got}, which is none of the allowed types",
            ValidationErrorKind.NotInEnumeration => $"{Value(error.Token)} is not one of {Allowed(schema)}",
            ValidationErrorKind.NumberTooSmall => $"the number is below the minimum of {Number(schema?.Minimum ?? schema?.ExclusiveMinimum)}",
            ValidationErrorKind.NumberTooBig => $"the number is above the maximum of {Number(schema?.Maximum ?? schema?.ExclusiveMaximum)}",
            ValidationErrorKind.NumberNotMultipleOf => $"the number is not a multiple of {Number(schema?.MultipleOf)}",
            ValidationErrorKind.PatternMismatch => $"the string does not match the pattern {schema?.Pattern}",
            ValidationErrorKind.TooFewItems => $"has too few items (at least {schema?.MinItems})",
            ValidationErrorKind.TooManyItems => $"has too many items (at most {schema?.MaxItems})",
            ValidationErrorKind.StringTooShort => $"the string is too short (at least {schema?.MinLength} characters)",
            ValidationErrorKind.StringTooLong => $"the string is too long (at most {schema?.MaxLength} characters)",
            ValidationErrorKind.DateTimeExpected => "expected an RFC 3339 date-time with a time zone, such as \"2024-01-02T15:04:05Z\"",
            ValidationErrorKind.DateExpected => "expected a date as YYYY-MM-DD",
            ValidationErrorKind.TimeExpected => "expected a time as HH:MM:SS",
            ValidationErrorKind.TimeSpanExpected => "expected an ISO 8601 duration, such as \"PT1H30M\"",
            ValidationErrorKind.GuidExpected or ValidationErrorKind.UuidExpected => "expected a UUID",
            ValidationErrorKind.UriExpected => "expected an absolute URI",
            _ => Words(error.Kind.ToString()),
        };
    }

    private static string Got(JToken? token) => token?.Type switch
    {
        JTokenType.String => "a string",
        JTokenType.Integer or JTokenType.Float => "a number",
        JTokenType.Boolean => "a boolean",
        JTokenType.Object => "an object",
        JTokenType.Array => "an array",
        JTokenType.Null or null => "null",
        _ => "a value of another type",
    };

    private static string Value(JToken? token) =>
        token is JValue { Value: string text } ? "'" + Internal.Text.Truncate(text, 100) + "'" : Got(token);

    private static string Allowed(JsonSchema? schema)
    {
        var values = schema?.ActualSchema.Enumeration.Take(30).Select(v => v is string s ? "'" + s + "'" : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null");
        return values is null ? "the allowed values" : string.Join(", ", values);
    }

    private static string Number(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "the limit";

    private static string Words(string kind)
    {
        var builder = new System.Text.StringBuilder();
        foreach (char c in kind)
        {
            if (char.IsUpper(c) && builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }
}
