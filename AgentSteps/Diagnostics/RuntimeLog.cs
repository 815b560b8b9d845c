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
internal sealed partial class RuntimeLog(Action<string>? log, ILogger? logger, bool sensitive)
{
    private const int MaxLoggedText = 4000;

    /// <summary>The log of a runtime with neither a log function nor a logger: every method returns at once.</summary>
    public static readonly RuntimeLog None = new(null, null, sensitive: false);

    public bool IsEnabled => log is not null || logger is not null;

    public bool IsStepLogEnabled => logger?.IsEnabled(LogLevel.Debug) == true;

    public void StepFinished(string runId, ExecutedStep step, TimeSpan duration, Exception? failure)
    {
        if (logger is null)
        {
            return;
        }

        long input = step.Usage?.InputTokenCount ?? 0;
        long output = step.Usage?.OutputTokenCount ?? 0;
        if (failure is null)
        {
            LogStepCompleted(logger, runId, step.Workflow + "." + step.Name, step.Loop, duration.TotalMilliseconds, step.Model, input, output);
        }
        else
        {
            LogStepFailed(logger, Internal.Redaction.Sanitize(failure), runId, step.Workflow + "." + step.Name, step.Loop, duration.TotalMilliseconds, step.Model, input, output, failure.GetType().Name);
        }
    }

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
            if (sensitive)
            {
                LogModelCallWithText(logger, step.QualifiedName, model, attempt, prompt);
            }
            else
            {
                LogModelCall(logger, step.QualifiedName, model, attempt, prompt.Length);
            }
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
        var tokens = usage is null ? "no usage reported" : string.Create(CultureInfo.InvariantCulture, $"{input} in / {output} out tokens");
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{step.QualifiedName} <- {model} (call {attempt}, {tokens}): {reply}"));
        if (logger is not null)
        {
            if (sensitive)
            {
                LogModelReplyWithText(logger, step.QualifiedName, model, attempt, input, output, reply);
            }
            else
            {
                LogModelReply(logger, step.QualifiedName, model, attempt, input, output, reply.Length);
            }
        }
    }

    public void Retry(StepDescriptor step, int attempt, IReadOnlyList<string> errors)
    {
        if (!IsEnabled)
        {
            return;
        }

        var joined = string.Join("; ", errors);
        // Errors quote the reply (paths name its properties), so without sensitive data the logger gets only their count.
        var forLogger = sensitive ? joined : string.Create(CultureInfo.InvariantCulture, $"{errors.Count} error(s)");
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{step.QualifiedName}: reply {attempt} was invalid, asking again: {joined}"));
        if (logger is not null)
        {
            LogRetry(logger, step.QualifiedName, attempt, forLogger);
        }
    }

    public void ObserverFailed(IRunObserver observer, string callback, Exception exception)
    {
        if (!IsEnabled)
        {
            return;
        }

        log?.Invoke($"Observer {observer.GetType().Name}.{callback} threw {exception.GetType().Name}: {Text.Truncate(exception.Message, 500)}; ignored.");
        if (logger is not null)
        {
            LogObserverFailed(logger, Internal.Redaction.Sanitize(exception), observer.GetType().Name, callback);
        }
    }

    public void NoSystemPrompt(StepDescriptor step)
    {
        if (!IsEnabled)
        {
            return;
        }

        log?.Invoke($"{step.QualifiedName} has no system prompt: give it a [Description], or ship its assembly's XML documentation file for its <summary>.");
        if (logger is not null)
        {
            LogNoSystemPrompt(logger, step.QualifiedName);
        }
    }

    public void ClientRetried(string step, string model, int request, int? status)
    {
        if (!IsEnabled)
        {
            return;
        }

        var reason = status is { } code ? string.Create(CultureInfo.InvariantCulture, $"HTTP {code}") : "a failed request";
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{step} -> {model}: the client retried after {reason} (request {request})"));
        if (logger is not null)
        {
            LogClientRetried(logger, step, model, request, reason);
        }
    }

    // Each event has two shapes, with and without the text (sensitive data), under one id and name.
#pragma warning disable SYSLIB1025
    [LoggerMessage(EventId = 1, EventName = "ModelCall", Level = LogLevel.Information, Message = "{Step} calls model {Model} (call {Attempt}): {Prompt}")]
    private static partial void LogModelCallWithText(ILogger logger, string step, string model, int attempt, string prompt);

    [LoggerMessage(EventId = 1, EventName = "ModelCall", Level = LogLevel.Information, Message = "{Step} calls model {Model} (call {Attempt}, prompt of {PromptLength} characters)")]
    private static partial void LogModelCall(ILogger logger, string step, string model, int attempt, int promptLength);

    [LoggerMessage(EventId = 2, EventName = "ModelReply", Level = LogLevel.Information, Message = "{Step} got a reply from {Model} (call {Attempt}, {InputTokens} in / {OutputTokens} out tokens): {Reply}")]
    private static partial void LogModelReplyWithText(ILogger logger, string step, string model, int attempt, long inputTokens, long outputTokens, string reply);

    [LoggerMessage(EventId = 2, EventName = "ModelReply", Level = LogLevel.Information, Message = "{Step} got a reply from {Model} (call {Attempt}, {InputTokens} in / {OutputTokens} out tokens, {ReplyLength} characters)")]
    private static partial void LogModelReply(ILogger logger, string step, string model, int attempt, long inputTokens, long outputTokens, int replyLength);
#pragma warning restore SYSLIB1025

    [LoggerMessage(EventId = 4, EventName = "StepCompleted", Level = LogLevel.Debug, Message = "Run {RunId}: {Step} #{Loop} completed in {DurationMs} ms (model {Model}, {InputTokens} in / {OutputTokens} out tokens)")]
    private static partial void LogStepCompleted(ILogger logger, string runId, string step, int loop, double durationMs, string? model, long inputTokens, long outputTokens);

    [LoggerMessage(EventId = 5, EventName = "StepFailed", Level = LogLevel.Warning, Message = "Run {RunId}: {Step} #{Loop} failed after {DurationMs} ms (model {Model}, {InputTokens} in / {OutputTokens} out tokens) with {ErrorType}")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string runId, string step, int loop, double durationMs, string? model, long inputTokens, long outputTokens, string errorType);

    [LoggerMessage(EventId = 6, EventName = "ObserverFailed", Level = LogLevel.Warning, Message = "Run observer {Observer}.{Callback} threw; the exception is ignored")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string observer, string callback);

    [LoggerMessage(EventId = 8, EventName = "NoSystemPrompt", Level = LogLevel.Warning, Message = "{Step} has no system prompt: give it a [Description], or ship its assembly's XML documentation file for its <summary>")]
    private static partial void LogNoSystemPrompt(ILogger logger, string step);

    [LoggerMessage(EventId = 7, EventName = "ClientRetried", Level = LogLevel.Warning, Message = "{Step} -> {Model}: the model client retried after {Reason} (request {Request})")]
    private static partial void LogClientRetried(ILogger logger, string step, string model, int request, string reason);

    [LoggerMessage(EventId = 3, EventName = "InvalidReply", Level = LogLevel.Warning, Message = "{Step}: reply {Attempt} was invalid, asking again: {Errors}")]
    private static partial void LogRetry(ILogger logger, string step, int attempt, string errors);
}
