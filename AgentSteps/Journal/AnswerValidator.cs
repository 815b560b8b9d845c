using System.Text;
using System.Text.Json;
using NJsonSchema;

namespace AgentSteps;

/// <summary>
/// Checks a person's answer to a human step before a journal stores it, so that every journal refuses the same
/// answers with the same messages. An answer is untrusted input: its size and depth are capped, and it is parsed
/// strictly (RFC 8259: no comments, trailing commas, single quotes or trailing content).
/// </summary>
internal static class AnswerValidator
{
    /// <summary>The largest answer accepted, in UTF-8 bytes (1 MiB).</summary>
    public const int MaxAnswerBytes = 1024 * 1024;

    /// <summary>The deepest nesting of arrays and objects accepted in an answer.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Checks <paramref name="answer"/> against <paramref name="request"/>'s answer schema. With no schema the answer is
    /// text and is stored as given (only its size is checked); with a schema it must be JSON that fits the schema.
    /// </summary>
    /// <exception cref="ArgumentException">The answer is too large, is not valid JSON, or does not fit the schema (the message lists the errors).</exception>
    public static async ValueTask ValidateAsync(string runId, PendingInput request, string answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(answer);

        // Counting first avoids encoding a huge string only to refuse it; a char is at most 3 UTF-8 bytes.
        if (answer.Length > MaxAnswerBytes || Encoding.UTF8.GetByteCount(answer) > MaxAnswerBytes)
        {
            throw new ArgumentException(
                $"The answer to '{request.Key}' in run '{runId}' is larger than {MaxAnswerBytes} bytes; give a shorter answer.",
                nameof(answer));
        }

        if (request.AnswerSchema is null)
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(answer, ParseOptions);
        }
        catch (JsonException e)
        {
            throw new ArgumentException(
                $"The answer to '{request.Key}' in run '{runId}' is not valid JSON ({e.Message}); give a JSON value that fits the question's answer schema.",
                nameof(answer),
                e);
        }

        var schema = await JsonSchema.FromJsonAsync(request.AnswerSchema, cancellationToken).ConfigureAwait(false);
        var errors = schema.Validate(answer);
        if (errors.Count > 0)
        {
            throw new ArgumentException(
                $"The answer to '{request.Key}' in run '{runId}' does not fit the question's answer schema: "
                + string.Join("; ", errors.Select(error => error.ToString())) + ".",
                nameof(answer));
        }
    }
}
