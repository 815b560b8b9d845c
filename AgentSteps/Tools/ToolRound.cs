using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Tools;

/// <summary>
/// Runs the tool calls of one model reply. A union's output call ends the step with its variant when it is valid; every
/// other call is checked (known tool, arguments that fit its schema) and run as a recorded child step of the LLM step,
/// several at once when the reply holds several. Whatever a call comes to (its result, its tool's exception message, an
/// unknown name, arguments that do not fit, a denial) goes back to the model as the call's result; only cancellation, a
/// missing approval handler, the approval handler's own failure and the step's <see cref="StepAttribute.MaxToolCalls"/>
/// end the step.
/// </summary>
internal static class ToolRound
{
    /// <summary>The longest error message of a tool sent back to the model.</summary>
    public const int MaxErrorLength = 2000;

    /// <summary>Runs the calls; returns the step's output when the reply answered with a valid variant.</summary>
    public static async ValueTask<Outcome> RunAsync(StepContext context, ToolSet tools, List<FunctionCallContent> calls, int callsBefore)
    {
        var descriptor = context.Descriptor;
        var results = new FunctionResultContent?[calls.Count];
        var union = tools.Union;
        var errors = new List<string>();

        // The answer: a union's step ends at one valid output call; other calls of that reply are not run.
        int outputCalls = 0, outputIndex = -1;
        if (union is not null)
        {
            for (int i = 0; i < calls.Count; i++)
            {
                if (union.Find(calls[i].Name) is not null)
                {
                    outputCalls++;
                    outputIndex = i;
                }
            }

            if (outputCalls == 1)
            {
                var call = calls[outputIndex];
                var variant = union.Find(call.Name)!;
                IReadOnlyList<string> found;
                if (!ArgumentsJson(call, descriptor.Attribute.MaxReplyLength, out var json, out var jsonError))
                {
                    found = [jsonError!];
                }
                else if (variant.Contract.TryParse(json, out var value, out found))
                {
                    // Every call gets its result, so that the step's Messages stay a well-formed conversation.
                    for (int i = 0; i < calls.Count; i++)
                    {
                        results[i] = Result(calls[i], i == outputIndex ? "Answer accepted." : "Not run: the answer in the same reply ended the step.");
                    }

                    return new Outcome(value, json, variant.Contract, 0, results!, []);
                }

                errors.AddRange(found.Select(e => $"{variant.Name}: {e}"));
                results[outputIndex] = Result(call, Error($"the answer does not fit {variant.Name}:\n- " + string.Join("\n- ", found) + "\nCall it again with arguments that fit its schema."));
            }
            else if (outputCalls > 1)
            {
                var message = $"the reply called {outputCalls} output tools; answer with exactly one call of one of {union.Names}.";
                errors.Add(message);
                for (int i = 0; i < calls.Count; i++)
                {
                    if (union.Find(calls[i].Name) is not null)
                    {
                        results[i] = Result(calls[i], Error(message));
                    }
                }
            }
        }

        int requested = callsBefore + calls.Count - outputCalls;
        if (requested > descriptor.Attribute.MaxToolCalls)
        {
            throw new MaxToolCallsExceededException(descriptor.QualifiedName, descriptor.Attribute.MaxToolCalls, requested);
        }

        var runtime = context.Runtime;
        var notify = runtime.Configuration.Notify;
        if (notify.HasObservers || runtime.Events is not null)
        {
            foreach (var call in calls)
            {
                var toolCall = new ToolCallEvent(context.Step, call);
                notify.ToolCall(toolCall);
                runtime.Events?.Publish(toolCall);
            }
        }

        // Every call is checked before any runs, so that a reply's calls either start together or are answered with errors.
        var runs = new List<Run>(calls.Count);
        bool needsApproval = false;
        for (int i = 0; i < calls.Count; i++)
        {
            if (results[i] is not null)
            {
                continue;
            }

            var call = calls[i];
            switch (tools.Find(call.Name))
            {
                case StepTool tool:
                {
                    if (!ArgumentsJson(call, descriptor.Attribute.MaxReplyLength, out var json, out var jsonError))
                    {
                        results[i] = Result(call, Error(jsonError!));
                    }
                    else if (!tool.Arguments.TryParse(json, out var parsed, out var parseErrors))
                    {
                        results[i] = Result(call, ArgumentsError(tool.Name, parseErrors));
                    }
                    else
                    {
                        runs.Add(new Run(i, call, tool, null, tool.ArgumentArray(parsed!, context.CancellationToken)));
                        needsApproval |= tool.Step.Attribute.RequiresApproval;
                    }

                    break;
                }

                case ExternalTool tool:
                {
                    if (!ArgumentsJson(call, descriptor.Attribute.MaxReplyLength, out var json, out var jsonError))
                    {
                        results[i] = Result(call, Error(jsonError!));
                    }
                    else if (tool.Validate(call.Arguments, json) is { Count: > 0 } validationErrors)
                    {
                        results[i] = Result(call, ArgumentsError(tool.Function.Name, validationErrors));
                    }
                    else
                    {
                        runs.Add(new Run(i, call, null, tool, tool.ArgumentArray(call.Arguments)));
                        needsApproval |= tool.RequiresApproval;
                    }

                    break;
                }

                case UnionOutput.Variant:
                    break; // answered above

                case AITool:
                    results[i] = Result(call, Error($"the tool '{call.Name}' is run by the provider, not by this application."));
                    break;

                default:
                    results[i] = Result(call, Error($"there is no tool named '{Internal.Text.Truncate(call.Name, 100)}'. The tools are: {tools.Names}."));
                    break;
            }
        }

        if (needsApproval && runtime.Configuration.ApprovalHandler is null)
        {
            var name = runs.First(r => r.Step?.Step.Attribute.RequiresApproval == true || r.External?.RequiresApproval == true).Call.Name;
            throw new InvalidOperationException(
                $"LLM step '{descriptor.QualifiedName}' got a call of the tool '{name}', which requires approval, but RuntimeOptions.ApprovalHandler is not set. " +
                "Set RuntimeOptions.ApprovalHandler to a function that approves or denies tool calls, or remove RequiresApproval from the tool's [Step] attribute.");
        }

        // Ordinals are reserved in reply order, so keys do not depend on how the calls' threads are scheduled.
        var runCalls = new ToolCall[runs.Count];
        for (int r = 0; r < runs.Count; r++)
        {
            var run = runs[r];
            runCalls[r] = new ToolCall(run.Call) { CancellationToken = context.CancellationToken };
            runtime.Reserve(context.Step, run.Step?.Step ?? run.External!.Descriptor, runCalls[r]);
        }

        var cancellationToken = context.CancellationToken;
        if (runs.Count == 1 || tools.OptionsFor(context.Step.ModelRecord.Model!).AllowMultipleToolCalls == false)
        {
            for (int r = 0; r < runs.Count; r++)
            {
                results[runs[r].Index] = await InvokeAsync(context, runs[r], runCalls[r]).ConfigureAwait(false);
            }
        }
        else if (runs.Count > 1)
        {
            var tasks = new Task<FunctionResultContent>[runs.Count];
            for (int r = 0; r < runs.Count; r++)
            {
                var run = runs[r];
                var toolCall = runCalls[r];
                tasks[r] = Task.Run(() => InvokeAsync(context, run, toolCall).AsTask(), CancellationToken.None);
            }

            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Each failure is looked at below, in reply order.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            for (int r = 0; r < runs.Count; r++)
            {
                if (tasks[r].Exception is { } failure)
                {
                    ExceptionDispatchInfo.Throw(failure.InnerException ?? failure);
                }

                if (tasks[r].IsCanceled)
                {
                    cancellationToken.ThrowIfCancellationRequested();

                    // Not the step's cancellation (an approval handler's own OperationCanceledException): rethrown as it was.
                    tasks[r].GetAwaiter().GetResult();
                }

                results[runs[r].Index] = tasks[r].Result;
            }
        }

        return new Outcome(null, null, null, calls.Count - outputCalls, results!, errors);
    }

    /// <summary>Gets the text a model is sent for a step's result: a string as it is, anything else as JSON.</summary>
    public static string StepResultText(object? value) => value switch
    {
        null => "null",
        string text => text,
        bool flag => flag ? "true" : "false",
        int number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        long number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => AgentStepsJson.Serialize(value),
    };

    /// <summary>
    /// Gets the text a model is sent for an external function's result: text as it is (an MCP tool's text content
    /// included), anything else as JSON. An MCP result marked <c>isError</c> throws with its text, so the call is recorded
    /// as failed and the model gets the error.
    /// </summary>
    public static string ResultText(object? value)
    {
        switch (value)
        {
            case null:
                return "null";
            case string text:
                return text;
            case TextContent content:
                return content.Text;
            case IEnumerable<AIContent> contents when contents.All(c => c is TextContent):
                return string.Join("\n", contents.Cast<TextContent>().Select(c => c.Text));
            case JsonElement element when IsErrorResult(element, out var error):
                throw new InvalidOperationException(error);
            case JsonElement element:
                return element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
            default:
                try
                {
                    return JsonSerializer.Serialize(value, value.GetType(), AIJsonUtilities.DefaultOptions);
                }
                catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException or ArgumentException)
                {
                    return value.ToString() ?? string.Empty;
                }
        }
    }

    /// <summary>Reads an MCP <c>CallToolResult</c> marked <c>isError</c>: its text contents are the error.</summary>
    private static bool IsErrorResult(JsonElement element, out string error)
    {
        error = string.Empty;
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("isError", out var isError) || isError.ValueKind != JsonValueKind.True)
        {
            return false;
        }

        var texts = new List<string>();
        if (element.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in content.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    texts.Add(text.GetString()!);
                }
            }
        }

        error = texts.Count > 0 ? string.Join("\n", texts) : "the tool reported an error.";
        return true;
    }

    private static async ValueTask<FunctionResultContent> InvokeAsync(StepContext context, Run run, ToolCall call)
    {
        try
        {
            string text;
            if (run.Step is { } tool)
            {
                object? returned;
                if (!tool.Step.Shape.IsAsync && (tool.Step.Attribute.RequiresApproval || tool.Step.Kind != StepKind.Code))
                {
                    // A sync step that waits on a person or a model blocks the thread that calls it: not the LLM step's caller.
                    returned = await Task.Run(() => CallStep(context, tool, run, call), CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    returned = CallStep(context, tool, run, call);
                }

                var value = await tool.Step.Shape.FromBody(returned).ConfigureAwait(false);

                // A step that returns nothing tells the model it ran; "null" would read as a missing answer.
                text = tool.Step.Shape.ResultType == typeof(void) ? "Done." : StepResultText(value);
            }
            else
            {
                var external = run.External!;
                var runtime = context.Runtime;
                var step = runtime.StartStep(external.Descriptor, run.Arguments, call);
                var toolContext = new StepContext(external.Descriptor, run.Arguments, step, call, context.CancellationToken);
                text = (string?)await runtime.Configuration.ToolPipeline(toolContext).ConfigureAwait(false) ?? "null";
            }

            return Result(run.Call, text);
        }
        catch (Exception e) when (call.ApprovalFailure is null && !(e is OperationCanceledException && context.CancellationToken.IsCancellationRequested))
        {
            // The step is recorded with its exception; the model gets its message only (no type, stack or inner detail).
            return Result(run.Call, e is ToolCallDeniedException
                ? Error($"the call of '{call.Name}' was not approved, so it did not run.")
                : Error(Internal.Text.Truncate(Internal.Redaction.Redact(e.Message), MaxErrorLength)));
        }
        catch (Exception) when (call.ApprovalFailure is { } failure)
        {
            failure.Throw();
            throw;
        }
    }

    /// <summary>Calls the step tool through the proxy, handing it the call on this thread.</summary>
    private static object? CallStep(StepContext context, StepTool tool, Run run, ToolCall call)
    {
        ToolCall.Hand(call);
        try
        {
            return tool.Call(context.Proxy!, run.Arguments);
        }
        finally
        {
            ToolCall.Hand(null);
        }
    }

    /// <summary>Gets the call's arguments as JSON text, or why they cannot be read.</summary>
    private static bool ArgumentsJson(FunctionCallContent call, int maxLength, out string json, out string? error)
    {
        json = string.Empty;
        error = null;
        if (call.Exception is not null)
        {
            error = "the arguments are not valid JSON. Send them as one JSON object that fits the tool's schema.";
            return false;
        }

        try
        {
            // The text the model sent, where the provider's client kept it: read strictly, a duplicate key is an error rather
            // than the last value silently winning, as the parsed dictionary would have it.
            json = RawArguments(call) ?? ParsedArgumentsText(call);
        }
        catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            error = "the arguments could not be read: " + Internal.Text.Truncate(e.Message, 200);
            return false;
        }

        if (json.Length > maxLength)
        {
            error = $"the arguments are {json.Length:N0} characters long, more than the {maxLength:N0} this step accepts.";
            return false;
        }

        return true;
    }

    /// <summary>
    /// Writes the arguments the provider's client parsed back as JSON text ("{}" for none).
    /// </summary>
    /// <exception cref="NotSupportedException">A value cannot be written as JSON (so may <see cref="JsonException"/> and others).</exception>
    internal static string ParsedArgumentsText(FunctionCallContent call) =>
        call.Arguments is null ? "{}" : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));

    /// <summary>Gets the arguments as the model sent them: the OpenAI client's tool call, or a scripted call's text.</summary>
    private static string? RawArguments(FunctionCallContent call) => call.RawRepresentation switch
    {
        OpenAI.Chat.ChatToolCall { FunctionArguments: { } arguments } => arguments.ToString(),
        Models.ScriptedArguments scripted => scripted.Json,
        _ => null,
    };

    private static string ArgumentsError(string tool, IReadOnlyList<string> errors)
    {
        var builder = new StringBuilder("the arguments do not fit the parameters of '").Append(tool).Append("':");
        foreach (var error in errors)
        {
            builder.Append("\n- ").Append(error);
        }

        return Error(builder.Append("\nCall it again with arguments that fit its schema.").ToString());
    }

    private static string Error(string message) => "Error: " + message;

    private static FunctionResultContent Result(FunctionCallContent call, string text) => new(call.CallId, text);

    /// <summary>What a reply's calls came to.</summary>
    /// <param name="Output">The variant the model answered with, when it did.</param>
    /// <param name="OutputJson">The answer's arguments as sent, for the trace.</param>
    /// <param name="OutputContract">The contract the answer was read with.</param>
    /// <param name="ToolCalls">The calls of tools (not output tools) the reply made, run or not.</param>
    /// <param name="Results">One result per call, in reply order, for the model.</param>
    /// <param name="Errors">What was wrong with the reply's answer, when it tried one; a correction then.</param>
    internal readonly record struct Outcome(object? Output, string? OutputJson, OutputContract? OutputContract, int ToolCalls, FunctionResultContent[] Results, List<string> Errors)
    {
        public bool Answered => OutputContract is not null;
    }

    private sealed record Run(int Index, FunctionCallContent Call, StepTool? Step, ExternalTool? External, object?[] Arguments);
}
