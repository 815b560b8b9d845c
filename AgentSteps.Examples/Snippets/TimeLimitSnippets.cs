using System.ComponentModel;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/time-limits.md and README's "Time limits and cancellation" section, compiled so that it stays true.</summary>
public record Summary(string Title, List<string> Points);

public abstract class Researcher
{
    // No CancellationToken parameter needed: the limit reaches the model calls, retries included.
    [Step(Model = "gpt-4o-mini", TimeoutSeconds = 30), Description("Summarise the article.")]
    public abstract Task<Summary> SummariseAsync(string article);

    // The body is not stopped mid-way, but the steps it calls are cancelled when its 120 s pass.
    [Step(TimeoutSeconds = 120)]
    public virtual async Task<List<Summary>> SummariseAllAsync(List<string> articles)
    {
        var summaries = new List<Summary>();
        foreach (var article in articles)
        {
            summaries.Add(await SummariseAsync(article));
        }

        return summaries;
    }
}

public static class TimeLimitSnippets
{
    public static async Task TimeoutAsync(IReadOnlyList<string> articles)
    {
        using var runtime = new Runtime();
        try
        {
            var summaries = await Steps.Create<Researcher>().SummariseAllAsync([.. articles]);
            Console.WriteLine($"{summaries.Count} summaries");
        }
        catch (StepTimeoutException e)
        {
            Console.WriteLine($"{e.StepName} took longer than {e.Timeout.TotalSeconds} s");
        }
    }

    public static async Task CancelAsync(string article)
    {
        using var runtime = new Runtime();
        var summary = Steps.Create<Researcher>().SummariseAsync(article);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; runtime.Cancel(); };   // Ctrl+C stops the run
        await summary;
    }

    public static RuntimeOptions ShutdownOptions(CancellationToken applicationStopping)
    {
        var options = RuntimeOptions.FromEnvironment();    // AGENTSTEPS_HTTP_TIMEOUT, AGENTSTEPS_HTTP_RETRIES too
        options.CancellationToken = applicationStopping;   // cancels every run built from these options
        options.HttpTimeout = TimeSpan.FromSeconds(30);    // one HTTP try; also caps a server's retry-after
        options.HttpRetries = 2;
        return options;
    }

    public static Microsoft.Extensions.AI.IChatClient Client(string? apiKey) =>
        RuntimeOptions.CreateOpenAIClient(apiKey, baseUrl: null, httpTimeout: TimeSpan.FromSeconds(30), httpRetries: 2);
}
