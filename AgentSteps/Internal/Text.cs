namespace AgentSteps.Internal;

internal static class Text
{
    public static string Truncate(string? value, int maxLength)
    {
        if (value is null)
        {
            return string.Empty;
        }

        return value.Length <= maxLength ? value : string.Concat(value.AsSpan(0, maxLength), "…");
    }
}
