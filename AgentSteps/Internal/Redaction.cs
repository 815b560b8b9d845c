using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace AgentSteps.Internal;

/// <summary>
/// Removes secrets from text that leaves the library (exception messages, logs, traces, spans): bearer tokens,
/// <c>sk-...</c>-like API keys, credentials in URLs, and every API key the process configured through AgentSteps.
/// </summary>
internal static partial class Redaction
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    // Shorter keys are not registered: replacing every occurrence of a short word would garble messages.
    private const int MinRegisteredLength = 8;

    private static ImmutableArray<string> s_secrets = [];

    /// <summary>Registers a configured secret (an API key) so that <see cref="Redact(string?)"/> removes it wherever it appears.</summary>
    public static void Register(string? secret)
    {
        if (secret is null || secret.Length < MinRegisteredLength)
        {
            return;
        }

        ImmutableInterlocked.Update(ref s_secrets, static (list, s) => list.Contains(s) ? list : list.Add(s), secret);
    }

    /// <summary>Returns <paramref name="text"/> with every secret it holds replaced by <see cref="Mask"/>.</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        foreach (var secret in s_secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        text = BearerToken().Replace(text, "$1" + Mask);
        text = KeyLike().Replace(text, Mask);
        text = UrlCredentials().Replace(text, "$1" + Mask + "@");
        return KeyParameter().Replace(text, "$1" + Mask);
    }

    /// <summary>
    /// Returns a URL fit to show in a message: besides <see cref="Redact(string?)"/>, whatever precedes an <c>@</c> (user
    /// information) and the whole query are masked, whether or not the URL is well formed.
    /// </summary>
    public static string RedactUrl(string? url)
    {
        var text = Redact(url);
        int at = text.LastIndexOf('@');
        if (at >= 0)
        {
            int slashes = text.IndexOf("//", StringComparison.Ordinal);
            int start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
            text = string.Concat(text.AsSpan(0, start), Mask, text.AsSpan(at));
        }

        int query = text.IndexOf('?', StringComparison.Ordinal);
        return query >= 0 ? string.Concat(text.AsSpan(0, query + 1), Mask) : text;
    }

    /// <summary>Whether <paramref name="text"/> holds anything <see cref="Redact(string?)"/> would remove.</summary>
    public static bool HasSecrets(string? text) => !string.IsNullOrEmpty(text) && !string.Equals(Redact(text), text, StringComparison.Ordinal);

    /// <summary>
    /// Returns <paramref name="exception"/> itself when no message in its chain holds a secret; otherwise a copy of the
    /// chain with redacted messages (the original types' names are kept in the messages), since loggers and traces print
    /// the whole chain.
    /// </summary>
    public static Exception Sanitize(Exception exception)
    {
        bool found = false;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            found |= HasSecrets(e.Message);
        }

        return found ? Copy(exception) : exception;
    }

    private static RedactedException Copy(Exception exception) =>
        new(exception.GetType().FullName ?? exception.GetType().Name, Redact(exception.Message), exception.InnerException is { } inner ? Copy(inner) : null);

    // "Bearer <token>" as in an echoed Authorization header.
    [GeneratedRegex(@"(\b[Bb]earer\s+)[A-Za-z0-9\-._~+/]+=*")]
    private static partial Regex BearerToken();

    // OpenAI-style keys (sk-..., sk-proj-...) and similar prefixed keys.
    [GeneratedRegex(@"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{8,}")]
    private static partial Regex KeyLike();

    // scheme://user:password@host
    [GeneratedRegex(@"([A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s]+@")]
    private static partial Regex UrlCredentials();

    // ?api-key=..., &key=..., token=..., api_key: ...
    [GeneratedRegex(@"(\b(?:api[-_]?key|access[-_]?token|token|key|secret|password)\s*[=:]\s*""?)[^&\s""',;]+", RegexOptions.IgnoreCase)]
    private static partial Regex KeyParameter();
}
