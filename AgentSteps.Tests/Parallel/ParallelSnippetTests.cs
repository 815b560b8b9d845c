using AgentSteps.Examples.Snippets;

namespace AgentSteps.Tests;

/// <summary>The patterns of docs/parallel.md, run as written on the offline sample model.</summary>
public class ParallelSnippetTests
{
    private static readonly string[] s_texts = ["one", "two", "three", "four", "five", "six", "seven"];

    [Test]
    public async Task TaskWhenAll_TranslatesIntoEveryLanguage_OneChildStepEach()
    {
        using var runtime = new Runtime(new SampleChatClient());

        var translations = await Steps.Create<Translator>().TranslateIntoAllAsync("good morning");

        Assert.That(translations, Has.Length.EqualTo(3).And.All.Not.Empty);
        var children = runtime.ExecutedSteps.Single(s => s.Name == nameof(Translator.TranslateIntoAllAsync)).Children;
        Assert.That(children.ToDictionary(s => (string)s.Arguments["language"]!, s => s.Key), Is.EquivalentTo(new Dictionary<string, string>
        {
            ["French"] = "TranslateIntoAllAsync:1/TranslateAsync:1",
            ["German"] = "TranslateIntoAllAsync:1/TranslateAsync:2",
            ["Japanese"] = "TranslateIntoAllAsync:1/TranslateAsync:3",
        }));
    }

    [Test]
    public async Task ParallelForEachAsync_TranslatesEveryText()
    {
        using var runtime = new Runtime(new SampleChatClient());

        var translations = await Steps.Create<Translator>().TranslateEachAsync(s_texts);

        Assert.That(translations, Has.Length.EqualTo(s_texts.Length).And.All.Not.Empty);
        Assert.That(runtime.ExecutedSteps.Where(s => s.Name == nameof(Translator.TranslateAsync)).Select(s => s.Arguments["text"]), Is.EquivalentTo(s_texts));
    }

    [Test]
    public async Task ParallelForEachAsync_InOrder_GivesTextIItsKey()
    {
        using var runtime = new Runtime(new SampleChatClient());

        var translations = await Steps.Create<Translator>().TranslateEachInOrderAsync(s_texts);

        Assert.That(translations, Has.Length.EqualTo(s_texts.Length).And.All.Not.Empty);
        var keys = runtime.ExecutedSteps.Where(s => s.Name == nameof(Translator.TranslateAsync)).ToDictionary(s => (string)s.Arguments["text"]!, s => s.Key);
        Assert.That(s_texts.Select(t => keys[t]), Is.EqualTo(s_texts.Select((_, i) => $"TranslateEachInOrderAsync:1/TranslateAsync:{i + 1}")));
    }

    [Test]
    public async Task ConcurrencyLimit_Snippet_Translates()
    {
        var translations = await ParallelSnippets.TranslateWithALimitAsync(new SampleChatClient(), s_texts);

        Assert.That(translations, Has.Length.EqualTo(s_texts.Length).And.All.Not.Empty);
    }

    [Test]
    public async Task FirstToFinish_Snippet_AnswersAndRecordsBothContenders()
    {
        var answer = await ParallelSnippets.FirstAnswerAsync(new SampleChatClient(), "Why is the sky blue?");

        Assert.That(answer, Is.Not.Empty);
    }

    [Test]
    public async Task FirstToFinish_CancelsTheOthers_WhoseModelCallsEnd()
    {
        var client = new HeldChatClient();
        using var runtime = new Runtime(client);

        var race = Steps.Create<QuestionDesk>().FirstAnswerAsync("Why is the sky blue?");
        var calls = new[] { await client.NextArrivalAsync(), await client.NextArrivalAsync() };
        calls.Single(c => c.ModelId == "gpt-4o").Release("Rayleigh scattering.");

        Assert.That(await race, Is.EqualTo("Rayleigh scattering."));
        Assert.That(client.InFlight, Is.Zero, "the small model's call was cancelled, not left running");
        var children = runtime.ExecutedSteps.Single(s => s.Name == nameof(QuestionDesk.FirstAnswerAsync)).Children;
        Assert.That(children.Single(s => s.Name == nameof(QuestionDesk.AskLargeModelAsync)).Succeeded, Is.True);
        Assert.That(children.Single(s => s.Name == nameof(QuestionDesk.AskSmallModelAsync)).Exception, Is.InstanceOf<OperationCanceledException>());
    }
}
