using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace AgentSteps.Examples.Snippets;

/// <summary>The code shown in docs/guide.md, compiled so that it stays true.</summary>
public record Review(
    [property: Range(1, 5)] int Stars,
    [property: Description("One sentence a customer would read")] string Summary,
    string? Warning);

public enum Sentiment
{
    Negative,
    Neutral,
    Positive,
}

public abstract class ReviewWorkflow
{
    [Step(Model = "gpt-4o-mini", Temperature = 0.2, OutputRetries = 3)]
    [Description("You review products. Be fair and brief.")]
    [Prompt("Review {product} for a {audience} audience.")]
    public abstract Task<Review> ReviewAsync(string product, string audience, CancellationToken cancellationToken = default);

    [Step(MaxLoops = 5)]
    public virtual async Task<Review> ReviewUntilCalmAsync(string product, CancellationToken cancellationToken = default)
    {
        var review = await ReviewAsync(product, "general", cancellationToken);
        return review.Warning is null ? review : await ReviewUntilCalmAsync(product, cancellationToken);
    }

    [Step(Model = "gpt-4o-mini")]
    [Description("Classify the sentiment of the text.")]
    public abstract Sentiment Classify(string text);              // wrapped as {"value": ...} on the wire

    /// <summary>You write a two-line poem about the topic.</summary>
    [Step(Model = "gpt-4o-mini")]
    public abstract string Poem(string topic);                    // string: plain text, no schema
}

public abstract class ReviewPanel
{
    [Step(Model = "gpt-4o-mini")]
    [Description("You review products for the given audience. Be fair and brief.")]
    public abstract Task<Review> ReviewAsync(string product, string audience, CancellationToken cancellationToken = default);

    [Step]
    public virtual async Task<Review[]> ReviewForEveryoneAsync(string product, CancellationToken cancellationToken = default)
    {
        string[] audiences = ["children", "cooks", "engineers"];
        return await Task.WhenAll(audiences.Select(audience => ReviewAsync(product, audience, cancellationToken)));
    }

    [Step]
    public virtual async Task<Review[]> ReviewAllAsync(IReadOnlyList<string> products, CancellationToken cancellationToken = default)
    {
        var reviews = new Review[products.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, products.Count), parallel,
            async (i, token) => reviews[i] = await ReviewAsync(products[i], "general", token));
        return reviews;
    }
}

public static class GuideSnippets
{
    public static async Task RunAsync()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var review = await Steps.Create<ReviewWorkflow>().ReviewUntilCalmAsync("kettle");
        Console.WriteLine($"{review.Stars} stars: {review.Summary}");

        foreach (var step in runtime.ExecutedSteps)
        {
            Console.WriteLine($"{step.Name} -> {step.Result} ({step.Duration.TotalMilliseconds:0} ms, {step.Usage?.TotalTokenCount} tokens)");
        }

        Console.WriteLine(runtime.FormatTree());
        File.WriteAllText("trace.json", runtime.ToJson());
    }

    public static async Task HandleErrorsAsync()
    {
        using var runtime = new Runtime(new SampleChatClient());
        try
        {
            var review = await Steps.Create<ReviewWorkflow>().ReviewUntilCalmAsync("kettle");
            Console.WriteLine($"{review.Stars} stars: {review.Summary}");
        }
        catch (MaxLoopsExceededException e)
        {
            Console.WriteLine($"{e.StepName} gave up after {e.MaxLoops} tries.");
        }
        catch (StepOutputException e)
        {
            Console.WriteLine($"{e.StepName}: no valid reply after {e.Attempts} calls: {string.Join("; ", e.Errors)}");
        }
    }
}
