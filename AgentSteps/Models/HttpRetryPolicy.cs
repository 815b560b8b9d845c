using System.ClientModel.Primitives;
using System.Globalization;

namespace AgentSteps;

/// <summary>
/// The OpenAI-compatible client's retries (after HTTP 408, 429, 5xx or a network failure), with the wait a server asks
/// for honoured and bounded: <c>retry-after-ms</c> (as OpenAI sends it) before <c>retry-after</c> (seconds or an HTTP
/// date), and never longer than <c>maxDelay</c>, the client's network timeout. The base policy waits whatever
/// <c>retry-after</c> says: <c>retry-after: 3600</c> held a step for an hour.
/// </summary>
internal sealed class HttpRetryPolicy(int maxRetries, TimeSpan maxDelay) : ClientRetryPolicy(maxRetries)
{
    public TimeSpan MaxDelay => maxDelay;

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount)
    {
        var delay = message.Response is { } response && ServerDelay(response) is { } asked ? asked : base.GetNextDelay(message, tryCount);
        return delay > maxDelay ? maxDelay : delay;
    }

    /// <summary>Reads the wait the server asked for, or <see langword="null"/> when it asked for none it could be held to.</summary>
    internal static TimeSpan? ServerDelay(PipelineResponse response)
    {
        var headers = response.Headers;
        if ((headers.TryGetValue("retry-after-ms", out var text) || headers.TryGetValue("x-ms-retry-after-ms", out text))
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0 && double.IsFinite(milliseconds))
        {
            return TimeSpan.FromMilliseconds(Math.Min(milliseconds, int.MaxValue));
        }

        if (headers.TryGetValue("retry-after", out text) && text is not null)
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && double.IsFinite(seconds))
            {
                return TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue / 1000));
            }

            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                var wait = at - DateTimeOffset.UtcNow;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        return null;
    }
}
