namespace AgentSteps.Diagnostics;

/// <summary>
/// Recognises member names and dictionary keys whose values the trace scrubs, as Logfire's default scrubbing does:
/// the name, in any case and without <c>_</c>, <c>-</c>, <c>.</c> or spaces, contains a secret-looking word.
/// </summary>
internal static class SecretNames
{
    /// <summary>What a scrubbed value is written as.</summary>
    public const string Redacted = "[REDACTED]";

    // Logfire's default patterns, normalised: besides the obvious words, sessions, JWTs, CSRF tokens and 'auth' (below).
    private static readonly string[] s_words =
        ["authorization", "apikey", "password", "passwd", "pwd", "secret", "token", "cookie", "credential", "privatekey", "session", "jwt", "csrf", "xsrf"];

    public static bool IsSecret(string name)
    {
        Span<char> buffer = name.Length <= 128 ? stackalloc char[name.Length] : new char[name.Length];
        int length = 0;
        foreach (char c in name)
        {
            if (c is not ('_' or '-' or '.' or ' '))
            {
                buffer[length++] = char.ToLowerInvariant(c);
            }
        }

        var normalized = buffer[..length];
        foreach (var word in s_words)
        {
            if (normalized.Contains(word, StringComparison.Ordinal))
            {
                return true;
            }
        }

        // 'auth' (X-Auth, OAuth, AuthKey) but not 'author' or 'authority', as Logfire's auth(?!ors?\b) means it.
        for (int at = normalized.IndexOf("auth", StringComparison.Ordinal); at >= 0; at = NextIndex(normalized, at))
        {
            if (!normalized[(at + 4)..].StartsWith("or", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static int NextIndex(ReadOnlySpan<char> text, int at)
    {
        int next = text[(at + 1)..].IndexOf("auth", StringComparison.Ordinal);
        return next < 0 ? -1 : at + 1 + next;
    }

    /// <summary>
    /// Whether a secret-named member's value is kept anyway: numbers, Booleans and nulls (token counts such as
    /// <c>MaxTokens</c>, flags such as <c>HasPassword</c>) reveal nothing.
    /// </summary>
    public static bool IsHarmless(object? value) =>
        value is null or bool or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal;
}
