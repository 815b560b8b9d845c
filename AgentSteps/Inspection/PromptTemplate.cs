using System.Text;
using AgentSteps.StructuredOutput;

namespace AgentSteps.Inspection;

/// <summary>
/// Turns an LLM step's arguments into its user prompt: a parsed <see cref="PromptAttribute"/> template, or the arguments
/// themselves (a single string as is, anything else as JSON, several arguments as one JSON object keyed by name).
/// </summary>
internal sealed class PromptTemplate
{
    // Literal text and the argument index each hole takes; -1 marks a literal segment.
    private readonly (string Literal, int ArgumentIndex)[]? _segments;
    private readonly int[] _argumentIndices;
    private readonly string[] _argumentNames;

    private PromptTemplate((string, int)[]? segments, int[] argumentIndices, string[] argumentNames)
    {
        _segments = segments;
        _argumentIndices = argumentIndices;
        _argumentNames = argumentNames;
    }

    /// <summary>Gets the template's text as parsed (literals and argument holes), for a step's journal version.</summary>
    public string Fingerprint =>
        _segments is null ? string.Empty : string.Concat(_segments.Select(s => s.ArgumentIndex < 0 ? "L:" + s.Literal + "\n" : "A:" + s.ArgumentIndex.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n"));

    /// <summary>Builds the template; returns an error sentence instead when the template names no such parameter.</summary>
    public static PromptTemplate Create(string? template, int[] argumentIndices, string[] argumentNames, out string? error)
    {
        error = null;
        if (template is null)
        {
            return new PromptTemplate(null, argumentIndices, argumentNames);
        }

        var segments = new List<(string, int)>();
        var literal = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                literal.Append(c);
                i++;
                continue;
            }

            if (c == '}')
            {
                error = $"its [Prompt] template has a lone '}}' at position {i}; write '}}}}' for a literal brace";
                return null!;
            }

            if (c != '{')
            {
                literal.Append(c);
                continue;
            }

            int close = template.IndexOf('}', i + 1);
            if (close < 0)
            {
                error = $"its [Prompt] template opens '{{' at position {i} and never closes it; write '{{{{' for a literal brace";
                return null!;
            }

            var name = template.Substring(i + 1, close - i - 1).Trim();
            int position = Array.IndexOf(argumentNames, name);
            if (position < 0)
            {
                error = $"its [Prompt] template names '{{{name}}}', which is not one of its parameters " +
                        $"({(argumentNames.Length == 0 ? "it has none" : string.Join(", ", argumentNames))}); fix the placeholder or the parameter name";
                return null!;
            }

            if (literal.Length > 0)
            {
                segments.Add((literal.ToString(), -1));
                literal.Clear();
            }

            segments.Add((string.Empty, argumentIndices[position]));
            i = close;
        }

        if (literal.Length > 0)
        {
            segments.Add((literal.ToString(), -1));
        }

        return new PromptTemplate(segments.ToArray(), argumentIndices, argumentNames);
    }

    public string Render(object?[] arguments)
    {
        if (_segments is not null)
        {
            var builder = new StringBuilder();
            foreach (var (literal, index) in _segments)
            {
                builder.Append(index < 0 ? literal : AsPlaceholder(arguments[index]));
            }

            return builder.ToString();
        }

        switch (_argumentIndices.Length)
        {
            case 0:
                return "{}";
            case 1:
                return AsText(arguments[_argumentIndices[0]]);
            default:
                var named = new Dictionary<string, object?>(_argumentIndices.Length, StringComparer.Ordinal);
                for (int i = 0; i < _argumentIndices.Length; i++)
                {
                    named[_argumentNames[i]] = arguments[_argumentIndices[i]];
                }

                return AgentStepsJson.Serialize(named);
        }
    }

    private static string AsText(object? argument) => argument as string ?? AgentStepsJson.Serialize(argument);

    // Inside a sentence a string or enum reads bare ("Ticket Other"), not as a JSON literal ("Ticket \"Other\"").
    private static string AsPlaceholder(object? argument) => argument switch
    {
        string text => text,
        Enum value => AgentStepsJson.Serialize(value).Trim('"'),
        _ => AgentStepsJson.Serialize(argument),
    };
}
