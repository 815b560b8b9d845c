using System.Text.Json;
using AgentSteps.Examples.Progress;
using Microsoft.Extensions.AI;

namespace AgentSteps.Examples.Kitchen;

/// <summary>
/// The kitchen job: decides what to do about a dinner request, plans the dinner with tools (asking before any grocery
/// order), and prints the typed results with the step tree, where each tool call sits under the LLM step that made it.
/// </summary>
public static class KitchenCommand
{
    private static readonly JsonSerializerOptions s_compact = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    /// <summary>Runs the kitchen workflow.</summary>
    /// <param name="request">The dinner request, such as "dinner for two".</param>
    /// <param name="output">Where to print.</param>
    /// <param name="approval">How to answer approvals.</param>
    /// <param name="console">
    /// Where a person answers approvals in <see cref="ApprovalMode.Ask"/> mode; <see langword="null"/> when there is no
    /// interactive console (input redirected), so that the order is denied with a note rather than waiting forever.
    /// </param>
    /// <returns>The exit code.</returns>
    public static int Run(string request, TextWriter output, ApprovalMode approval, TextReader? console)
    {
        var options = RuntimeOptions.FromEnvironment();
        if (options.ChatClient is null)
        {
            options.ChatClient = new SampleChatClient();
            output.WriteLine(
                "No model configured: using the offline sample model, which calls every tool it is offered once, with sample arguments, " +
                "then answers with placeholders; it picks the first variant of a union (CookAtHome).");
            output.WriteLine(
                $"Set {RuntimeOptions.ApiKeyVariable} (or {RuntimeOptions.BaseUrlVariable} for a local server such as Ollama) to use a real model.");
        }

        options.Tools.Add(KitchenTools.ConvertUnits);
        var progress = new ConsoleProgress(output);
        options.ApprovalHandler = ApprovalHandler(output, approval, console, progress);

        using var runtime = new Runtime(options);
        var agent = Steps.Create<KitchenAgent>();
        progress.Start(runtime); // watching before the first step starts
        DinnerResult? result = null;
        string? failure = null;
        int exitCode = 0;
        try
        {
            result = agent.HostDinnerAsync(request).GetAwaiter().GetResult();
        }
        catch (AgentStepsException e)
        {
            failure = $"The workflow failed: {e.Message}";
            exitCode = 1;
        }
        finally
        {
            // Ending the run sends the watcher its last event; the progress is then off the screen before the result is printed.
            runtime.Dispose();
            progress.CompleteAsync().GetAwaiter().GetResult();
        }

        if (result is not null)
        {
            Print(result, output);
        }
        else
        {
            output.WriteLine(failure);
        }

        PrintToolCalls(runtime, output);
        output.WriteLine();
        output.WriteLine("Steps:");
        output.Write(runtime.FormatTree());
        return exitCode;
    }

    private static Func<ToolApprovalRequestContent, CancellationToken, ValueTask<bool>> ApprovalHandler(
        TextWriter output, ApprovalMode mode, TextReader? console, ConsoleProgress progress)
    {
        return async (request, cancellationToken) =>
        {
            var call = (FunctionCallContent)request.ToolCall;
            var question = $"Approval needed: {call.Name} {Describe(call.Arguments)}";

            // Tool calls of one reply run concurrently: one question at a time, with the progress display off the screen
            // (and no progress line written) while it is asked, so that the prompt is not drawn over.
            using (await progress.PauseAsync(cancellationToken))
            {
                output.WriteLine(question);
                switch (mode)
                {
                    case ApprovalMode.Approve:
                        output.WriteLine("  approved (--approve)");
                        return true;
                    case ApprovalMode.Deny:
                        output.WriteLine("  denied (--deny)");
                        return false;
                    case ApprovalMode.Ask when console is null:
                        output.WriteLine("  denied: input is not interactive, so nobody can answer; pass --approve or --deny to choose.");
                        return false;
                    default:
                        output.Write("  Approve? [y/N] ");
                        var answer = (await console!.ReadLineAsync(cancellationToken))?.Trim();
                        bool approved = answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
                        output.WriteLine(approved ? "  approved" : "  denied");
                        return approved;
                }
            }
        };
    }

    private static string Describe(IDictionary<string, object?>? arguments) =>
        arguments is null ? "{}" : JsonSerializer.Serialize(arguments, s_compact.GetTypeInfo(typeof(IDictionary<string, object?>)));

    private static string Summarize(object? value)
    {
        var text = value as string ?? JsonSerializer.Serialize(value, value?.GetType() ?? typeof(object), s_compact);
        return text.Length <= 100 ? text : text[..97] + "...";
    }

    /// <summary>
    /// Prints what each tool call of the LLM steps came to, in the order the model asked for them (the order of the
    /// tree), which is the same on every run although the calls of one reply run concurrently.
    /// </summary>
    private static void PrintToolCalls(Runtime runtime, TextWriter output)
    {
        var calls = runtime.ExecutedSteps
            .Where(s => s.Parent is { Kind: StepKind.Llm })
            .OrderBy(s => s.Sequence)
            .ToList();
        if (calls.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine("Tool calls and their results:");
        foreach (var call in calls)
        {
            output.WriteLine(call.Exception is { } e
                ? $"  {call.Key}: {e.GetType().Name}, the model was told"
                : $"  {call.Key}: {Summarize(call.Result)}");
        }
    }

    private static void Print(DinnerResult result, TextWriter output)
    {
        output.WriteLine();
        switch (result.Decision)
        {
            case CookAtHome cook:
                output.WriteLine($"Decision: CookAtHome (dish: {cook.Dish}, servings: {cook.Servings})");
                break;
            case OrderTakeaway takeaway:
                output.WriteLine($"Decision: OrderTakeaway (cuisine: {takeaway.Cuisine}; {takeaway.Reason})");
                break;
            case AskTheGuest ask:
                output.WriteLine($"Decision: AskTheGuest ({ask.Question})");
                break;
        }

        if (result.Plan is not { } plan)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"Plan: {plan.Dish}, for {plan.Servings}");
        output.WriteLine("Ingredients:");
        foreach (var ingredient in plan.Ingredients)
        {
            output.WriteLine($"  - {ingredient}");
        }

        output.WriteLine("Steps:");
        for (int i = 0; i < plan.Steps.Count; i++)
        {
            output.WriteLine($"  {i + 1}. {plan.Steps[i]}");
        }

        output.WriteLine($"Wine: {plan.Wine}");
        output.WriteLine($"Shopping: {plan.Shopping}");
    }
}
