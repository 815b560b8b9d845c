using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Reads dates, times and durations exactly as the schema's formats describe them: RFC 3339 date-times with a zone,
/// <c>YYYY-MM-DD</c> dates, <c>HH:MM:SS</c> times and ISO 8601 durations. Nothing else ("1/2/2024", "/Date(0)/") passes.
/// </summary>
internal static partial class IsoText
{
    /// <summary>The pattern the schema gives <see cref="TimeOnly"/>: a wall-clock time without a zone.</summary>
    public const string TimePattern = @"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,7})?$";

    private static readonly string[] s_dateTimeFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];
    private static readonly string[] s_timeFormats = ["HH:mm:ss", "HH:mm:ss.FFFFFFF"];

    public static bool TryParseDateTimeOffset(string text, out DateTimeOffset value)
    {
        value = default;
        return DateTimePattern().IsMatch(text) &&
               DateTimeOffset.TryParseExact(text.ToUpperInvariant(), s_dateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    public static bool TryParseDate(string text, out DateOnly value)
    {
        value = default;
        return DatePattern().IsMatch(text) && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    public static bool TryParseTime(string text, out TimeOnly value)
    {
        value = default;
        return TimeRegex().IsMatch(text) && TimeOnly.TryParseExact(text, s_timeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    /// <summary>Reads an ISO 8601 duration in days, hours, minutes and seconds (or weeks); years and months vary in length.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        var match = DurationPattern().Match(text);
        if (!match.Success || text.EndsWith('T') || text.EndsWith('P'))
        {
            return false;
        }

        try
        {
            checked
            {
                long ticks = Component(match, "w") * 7 * TimeSpan.TicksPerDay +
                             Component(match, "d") * TimeSpan.TicksPerDay +
                             Component(match, "h") * TimeSpan.TicksPerHour +
                             Component(match, "m") * TimeSpan.TicksPerMinute;
                if (match.Groups["s"].Success)
                {
                    ticks += (long)Math.Round(decimal.Parse(match.Groups["s"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond);
                }

                value = new TimeSpan(match.Groups["sign"].Success ? -ticks : ticks);
                return true;
            }
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static long Component(Match match, string name) =>
        match.Groups[name].Success ? long.Parse(match.Groups[name].Value, NumberStyles.None, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?([Zz]|[+-][0-9]{2}:[0-9]{2})$")]
    private static partial Regex DateTimePattern();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    private static partial Regex DatePattern();

    [GeneratedRegex(TimePattern)]
    private static partial Regex TimeRegex();

    [GeneratedRegex(@"^(?<sign>-)?P(?:(?<w>[0-9]{1,9})W|(?:(?<d>[0-9]{1,9})D)?(?:T(?:(?<h>[0-9]{1,9})H)?(?:(?<m>[0-9]{1,12})M)?(?:(?<s>[0-9]{1,12}(?:\.[0-9]{1,7})?)S)?)?)$")]
    private static partial Regex DurationPattern();
}
