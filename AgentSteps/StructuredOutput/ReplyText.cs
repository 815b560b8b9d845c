namespace AgentSteps.StructuredOutput;

/// <summary>
/// Takes the JSON out of a reply as real models send it: a leading byte-order mark and surrounding white space are
/// dropped, and a reply with exactly one fenced code block (<c>```json ... ```</c>, prose around it allowed) gives that
/// block's content. Two or more fenced blocks are ambiguous: an error, never a guess.
/// </summary>
internal static class ReplyText
{
    private const string Fence = "```";

    public static bool TryExtract(string reply, out string json, out string? error)
    {
        error = null;
        var text = reply.AsSpan().TrimStart('\uFEFF').Trim();
        if (text.Length > 0 && text[0] is '{' or '[')
        {
            json = text.Length == reply.Length ? reply : text.ToString();
            return true;
        }

        int open = text.IndexOf(Fence, StringComparison.Ordinal);
        if (open < 0)
        {
            json = text.ToString();
            return true;
        }

        int fences = 0;
        for (int at = open; ;)
        {
            int next = text[at..].IndexOf(Fence, StringComparison.Ordinal);
            if (next < 0)
            {
                break;
            }

            fences++;
            at += next + Fence.Length;
        }

        if (fences != 2)
        {
            json = string.Empty;
            error = fences > 2
                ? $"$: the reply has {(fences + 1) / 2} fenced code blocks; reply with one JSON value only"
                : "$: the reply opens a fenced code block and never closes it; reply with one JSON value only";
            return false;
        }

        var inner = text[(open + Fence.Length)..];
        int close = inner.IndexOf(Fence, StringComparison.Ordinal);
        var block = inner[..close];
        int lineEnd = block.IndexOf('\n');

        // The rest of the opening line is the block's language tag (json); a one-line block has none.
        json = (lineEnd >= 0 ? block[(lineEnd + 1)..] : block).TrimStart('\uFEFF').Trim().ToString();
        return true;
    }
}
