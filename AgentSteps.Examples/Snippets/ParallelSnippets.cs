using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/parallel.md, compiled so that it stays true.</summary>
public abstract class Translator
{
    [Step(Model = "gpt-4o-mini"), Description("Translate the text into the given language. Reply with the translation only.")]
    public abstract Task<string> TranslateAsync(string text, string language, CancellationToken cancellationToken = default);

    [Step]
    public virtual async Task<string[]> TranslateIntoAllAsync(string text, CancellationToken cancellationToken = default)
    {
        string[] languages = ["French", "German", "Japanese"];
        return await Task.WhenAll(languages.Select(language => TranslateAsync(text, language, cancellationToken)));
    }

    [Step]
    public virtual async Task<string[]> TranslateEachAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var translations = new string[texts.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, texts.Count), parallel,
            async (i, token) => translations[i] = await TranslateAsync(texts[i], "French", token));
        return translations;
    }

    [Step]
    public virtual async Task<string[]> TranslateEachInOrderAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var translations = new string[texts.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken };

        // Each step is called as its item is taken, and items are taken in order: text i is always TranslateAsync:i+1.
        var started = texts.Select((text, i) => (Index: i, Translation: TranslateAsync(text, "French", cancellationToken)));
        await Parallel.ForEachAsync(started, parallel,
            async (item, token) => translations[item.Index] = await item.Translation.WaitAsync(token));
        return translations;
    }
}

public abstract class QuestionDesk
{
    [Step(Model = "gpt-4o-mini"), Description("Answer the question in one sentence.")]
    public abstract Task<string> AskSmallModelAsync(string question, CancellationToken cancellationToken = default);

    [Step(Model = "gpt-4o"), Description("Answer the question in one sentence.")]
    public abstract Task<string> AskLargeModelAsync(string question, CancellationToken cancellationToken = default);

    [Step]
    public virtual async Task<string> FirstAnswerAsync(string question, CancellationToken cancellationToken = default)
    {
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<string>[] contenders = [AskSmallModelAsync(question, race.Token), AskLargeModelAsync(question, race.Token)];

        var winner = await Task.WhenAny(contenders);
        await race.CancelAsync();                                  // the others stop: their model calls are cancelled
        await Task.WhenAll(contenders.AsEnumerable<Task>()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // they end before this step does
        return await winner;
    }
}

public static class ParallelSnippets
{
    public static async Task<string[]> TranslateWithALimitAsync(IChatClient client, IReadOnlyList<string> texts)
    {
        // Build the options once and open every run from them: the limit is shared by all of those runs.
        var options = new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 8 };

        using var runtime = new Runtime(options);
        var translations = await Steps.Create<Translator>().TranslateEachAsync(texts);
        foreach (var step in runtime.ExecutedSteps.Where(s => s.ModelWaitTime > TimeSpan.Zero))
        {
            Console.WriteLine($"{step.Key} waited {step.ModelWaitTime.TotalMilliseconds:0} ms for a model slot");
        }

        return translations;
    }

    public static async Task<string> FirstAnswerAsync(IChatClient client, string question)
    {
        using var runtime = new Runtime(client);
        var answer = await Steps.Create<QuestionDesk>().FirstAnswerAsync(question);
        Console.WriteLine(runtime.FormatTree());   // the loser is there too, failed with OperationCanceledException
        return answer;
    }
}
