using System.Globalization;
using System.Text;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// What goes back to the model after an invalid reply: the reply (capped, so a huge reply is not resent whole on every
/// retry) and the list of errors (capped in number and length), each as <c>$.path: what is wrong</c>.
/// </summary>
internal static class Correction
{
    /// <summary>The most characters of an invalid reply echoed back to the model.</summary>
    public const int MaxEchoLength = 4000;

    /// <summary>The most errors listed for one reply.</summary>
    public const int MaxErrors = 20;

    /// <summary>The longest one error may be.</summary>
    public const int MaxErrorLength = 300;

    private const int EchoTail = 1000;

    /// <summary>Gets the reply as echoed back in the conversation: whole when short, else its start and end with a note.</summary>
    public static string Echo(string reply)
    {
        if (reply.Length <= MaxEchoLength)
        {
            return reply;
        }

        int head = MaxEchoLength - EchoTail;
        return string.Create(CultureInfo.InvariantCulture,
            $"{reply.AsSpan(0, head)}\n[... {reply.Length - head - EchoTail:N0} characters left out ...]\n{reply.AsSpan(reply.Length - EchoTail)}");
    }

    /// <summary>Gets the message that asks the model again.</summary>
    public static string Message(IReadOnlyList<string> errors)
    {
        var builder = new StringBuilder("Your reply was not valid for the required JSON schema:");
        foreach (var error in errors)
        {
            builder.Append("\n- ").Append(error);
        }

        return builder.Append("\nReply again with only a JSON value that matches the schema.").ToString();
    }

    /// <summary>Caps a list of errors: at most <see cref="MaxErrors"/>, each at most <see cref="MaxErrorLength"/> characters.</summary>
    public static IReadOnlyList<string> Cap(IReadOnlyList<string> errors)
    {
        var capped = new List<string>(Math.Min(errors.Count, MaxErrors + 1));
        for (int i = 0; i < errors.Count && i < MaxErrors; i++)
        {
            capped.Add(Internal.Text.Truncate(errors[i], MaxErrorLength));
        }

        if (errors.Count > MaxErrors)
        {
            capped.Add(string.Create(CultureInfo.InvariantCulture, $"... and {errors.Count - MaxErrors} more error(s)"));
        }

        return capped;
    }
}
