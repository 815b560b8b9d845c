using System.Globalization;
using AgentSteps.Inspection;
using AgentSteps.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentSteps.Diagnostics;

/// <summary>
/// Writes model calls, replies and retries to the runtime's <see cref="Action{T}"/> and <see cref="ILogger"/>. It is
/// only ever given prompts and replies: API keys live in the clients and never reach it.
/// </summary>
internal sealed partial class RuntimeLog(Action<string>? log, ILogger? logger)
{
    private const int MaxLoggedText = 4000;

    public bool IsEnabled => log is not null || logger is not null;

    public void ModelCall(StepDescriptor step, string model, int attempt, string prompt)
    {
        if (!IsEnabled)
        {
            return;
        }

        prompt = Text.Truncate(prompt, MaxLoggedText);
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{step.QualifiedName} -> {model} (call {attempt}): {prompt}"));
        if (logger is not null)
        {
            LogModelCall(logger, step.QualifiedName, model, attempt, prompt);
        }
    }

    public void ModelReply(StepDescriptor step, string model, int attempt, string reply, UsageDetails? usage)
    {
        if (!IsEnabled)
        {
            return;
        }

        reply = Text.Truncate(reply, MaxLoggedText);
        long input = usage?.InputTokenCount ?? 0;
        long output = usage?.OutputTokenCount ?? 0;
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{step.QualifiedName} <- {model} (call {attempt}, {input} in / {output} out tokens): {reply}"));
        if (logger is not null)
        {
            LogModelReply(logger, step.QualifiedName, model, attempt, input, output, reply);
        }
    }

    public void Retry(StepDescriptor step, int attempt, IReadOnlyList<string> errors)
    {
        if (!IsEnabled)
        {
            return;
        }

        var joined = string.Join("; ", errors);
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{step.QualifiedName}: reply {attempt} was invalid, asking again: {joined}"));
        if (logger is not null)
        {
            LogRetry(logger, step.QualifiedName, attempt, joined);
        }
    }

    [LoggerMessage(EventId = 1, EventName = "ModelCall", Level = LogLevel.Information, Message = "{Step} calls model {Model} (call {Attempt}): {Prompt}")]
    private static partial void LogModelCall(ILogger logger, string step, string model, int attempt, string prompt);

    [LoggerMessage(EventId = 2, EventName = "ModelReply", Level = LogLevel.Information, Message = "{Step} got a reply from {Model} (call {Attempt}, {InputTokens} in / {OutputTokens} out tokens): {Reply}")]
    private static partial void LogModelReply(ILogger logger, string step, string model, int attempt, long inputTokens, long outputTokens, string reply);

    [LoggerMessage(EventId = 3, EventName = "InvalidReply", Level = LogLevel.Warning, Message = "{Step}: reply {Attempt} was invalid, asking again: {Errors}")]
    private static partial void LogRetry(ILogger logger, string step, int attempt, string errors);
}
