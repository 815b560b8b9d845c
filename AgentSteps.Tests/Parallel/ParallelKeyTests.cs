namespace AgentSteps.Tests;

/// <summary>
/// Parallel branches keep their <see cref="ExecutedStep.Key"/>s from run to run, whatever order the model answers in:
/// the same code with the same inputs gives each item the same key.
/// </summary>
public class ParallelKeyTests
{
    private static readonly string[] s_texts = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];

    public abstract class Fanout
    {
        [Step(Model = "gpt-4o-mini"), Description("Summarize the text in one line.")]
        public abstract Task<string> SummarizeAsync(string text, CancellationToken cancellationToken = default);

        [Step]
        public virtual async Task<string[]> WhenAllAsync(IReadOnlyList<string> texts) =>
            await Task.WhenAll(texts.Select(text => SummarizeAsync(text)));

        /// <summary>Workers race to call the step: the keys are the same set on every run, but which item gets which may vary.</summary>
        [Step]
        public virtual async Task<string[]> ForEachAsync(IReadOnlyList<string> texts)
        {
            var summaries = new string[texts.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, texts.Count), new ParallelOptions { MaxDegreeOfParallelism = 3 },
                async (i, token) => summaries[i] = await SummarizeAsync(texts[i], token));
            return summaries;
        }

        /// <summary>The step is called as each item is taken, in order, so each item keeps its key.</summary>
        [Step]
        public virtual async Task<string[]> ForEachInOrderAsync(IReadOnlyList<string> texts)
        {
            var summaries = new string[texts.Count];
            await Parallel.ForEachAsync(texts.Select((text, i) => (i, Summary: SummarizeAsync(text))), new ParallelOptions { MaxDegreeOfParallelism = 3 },
                async (item, token) => summaries[item.i] = await item.Summary.WaitAsync(token));
            return summaries;
        }
    }

    [TestCase(nameof(Fanout.WhenAllAsync))]
    [TestCase(nameof(Fanout.ForEachInOrderAsync))]
    public async Task Keys_OfParallelBranches_AreTheSameOnEveryRun_WhateverOrderTheModelAnswersIn(string fanout)
    {
        var inOrder = await RunAsync(fanout, lastInFirstOut: false);
        var reversed = await RunAsync(fanout, lastInFirstOut: true);

        Assert.That(inOrder.Completion, Is.Not.EqualTo(reversed.Completion), "the runs finished their branches in different orders");
        Assert.That(reversed.KeyOf, Is.EquivalentTo(inOrder.KeyOf));
        Assert.That(inOrder.KeyOf["alpha"], Is.EqualTo($"{fanout}:1/SummarizeAsync:1"));
        Assert.That(inOrder.KeyOf["zeta"], Is.EqualTo($"{fanout}:1/SummarizeAsync:6"));
    }

    [Test]
    public async Task Keys_UnderParallelForEachAsync_AreTheSameSetOnEveryRun()
    {
        var inOrder = await RunAsync(nameof(Fanout.ForEachAsync), lastInFirstOut: false);
        var reversed = await RunAsync(nameof(Fanout.ForEachAsync), lastInFirstOut: true);

        var expected = Enumerable.Range(1, s_texts.Length).Select(i => $"ForEachAsync:1/SummarizeAsync:{i}");
        Assert.That(inOrder.KeyOf.Values, Is.EquivalentTo(expected));
        Assert.That(reversed.KeyOf.Values, Is.EquivalentTo(expected));
    }

    /// <summary>Runs the fan-out with at most three answers pending, answered oldest first or newest first.</summary>
    private static async Task<(Dictionary<string, string> KeyOf, string[] Completion)> RunAsync(string fanout, bool lastInFirstOut)
    {
        var client = new HeldChatClient();
        using var runtime = new Runtime(new RuntimeOptions { ChatClient = client, MaxConcurrentModelCalls = 3 });
        var workflow = Steps.Create<Fanout>();
        var run = fanout switch
        {
            nameof(Fanout.WhenAllAsync) => workflow.WhenAllAsync(s_texts),
            nameof(Fanout.ForEachAsync) => workflow.ForEachAsync(s_texts),
            _ => workflow.ForEachInOrderAsync(s_texts),
        };

        var held = new List<HeldCall>();
        int arrived = 0;
        for (int answered = 0; answered < s_texts.Length; answered++)
        {
            // Three calls are in the model at a time: wait for them, then answer the oldest or the newest.
            for (; held.Count < 3 && arrived < s_texts.Length; arrived++)
            {
                held.Add(await client.NextArrivalAsync());
            }

            var next = lastInFirstOut ? held[^1] : held[0];
            held.Remove(next);
            next.Release();
        }

        Assert.That(await run, Is.EqualTo(s_texts.Select(t => "re: " + t)));
        var branches = runtime.ExecutedSteps.Where(s => s.Name == nameof(Fanout.SummarizeAsync)).ToList();
        return (branches.ToDictionary(s => (string)s.Arguments["text"]!, s => s.Key), branches.Select(s => (string)s.Arguments["text"]!).ToArray());
    }
}
