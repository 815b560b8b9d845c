using AgentSteps.StructuredOutput;
using Microsoft.Extensions.AI;

namespace AgentSteps.Pipeline;

/// <summary>
/// Model calls that stream: an ordinary LLM step's call while something watches the run (each piece of text becomes a
/// <see cref="ModelTextEvent"/>, and the whole reply is then handled as any reply is), and the one call of an LLM step
/// that returns <see cref="IAsyncEnumerable{T}"/> (see <see cref="ModelStream{T}"/>).
/// </summary>
internal static class ModelStream
{
    /// <summary>Gets whether the run's LLM steps should stream: someone watches the run or reads model text.</summary>
    public static bool IsWatched(Runtime runtime) => runtime.Events?.HasWatchers == true || runtime.Configuration.Notify.WantsModelText;

    /// <summary>Streams one model call, telling watchers each piece of text; returns the whole response.</summary>
    public static async Task<ChatResponse> GetResponseAsync(
        StepContext context, IChatClient client, List<ChatMessage> messages, ChatOptions options, int call, CancellationToken cancellationToken)
    {
        var descriptor = context.Descriptor;
        var text = new StreamedText(json: descriptor.Output is { Kind: not OutputKind.Text });
        var updates = new List<ChatResponseUpdate>();
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                updates.Add(update);
                var delta = update.Text;
                if (delta.Length == 0)
                {
                    continue;
                }

                Append(descriptor, text, delta, call, onItem: null);
                Publish(context.Step, new ModelTextEvent(context.Step, delta, text, call));
            }
        }
        catch (Exception) when (CountCut(context, options.ModelId!, updates, stoppedByConsumer: false))
        {
            throw; // never: the filter counts a cut stream's call and lets the exception on
        }

        return updates.ToChatResponse();
    }

    /// <summary>
    /// Counts the call of a stream cut after text arrived (cancelled, timed out, failed or refused as too long) as a reply
    /// without usage: the provider bills what it sent, so the run's usage must not look complete. A stream the reader stopped
    /// is counted when it is finished. Always false, for use as an exception filter.
    /// </summary>
    internal static bool CountCut(StepContext context, string model, List<ChatResponseUpdate> updates, bool stoppedByConsumer)
    {
        if (updates.Count > 0 && !stoppedByConsumer)
        {
            var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().LastOrDefault()?.Details;
            BudgetGuard.AfterModelCall(context, model, usage);
        }

        return false;
    }

    /// <summary>
    /// Adds a piece of streamed text, refusing a reply that would pass the step's <see cref="StepAttribute.MaxReplyLength"/>
    /// before it is read whole, as a reply that came at once would be.
    /// </summary>
    internal static void Append(Inspection.StepDescriptor descriptor, StreamedText text, string delta, int call, Action<string>? onItem)
    {
        if (text.Length + delta.Length > descriptor.Attribute.MaxReplyLength)
        {
            ReplyGuard.ThrowIfTooLong(descriptor, text.Read(text.Length) + delta, call);
        }

        text.Append(delta, onItem);
    }

    /// <summary>Tells the run's watchers and observers of a piece of model text.</summary>
    public static void Publish(ExecutedStep step, ModelTextEvent modelText)
    {
        var runtime = step.Owner;
        var notify = runtime.Configuration.Notify;
        if (notify.WantsModelText)
        {
            notify.ModelText(modelText);
        }

        runtime.Events?.Publish(modelText);
    }
}

/// <summary>
/// The model call of an LLM step that returns <see cref="IAsyncEnumerable{T}"/>: a stream of <see cref="string"/>
/// yields the reply's text as it arrives; a stream of anything else asks for a JSON array (the step's output schema is a
/// list of <typeparamref name="T"/>) and yields each item as soon as it is complete and valid. A stream is not corrected
/// (items already yielded cannot be taken back): an invalid item ends it with <see cref="StepOutputException"/>.
/// </summary>
internal static class ModelStream<T>
{
    public static async ValueTask<object?> RunAsync(StepContext context)
    {
        var descriptor = context.Descriptor;
        var step = context.Step;
        var runtime = step.Owner;
        var (client, model) = runtime.Configuration.ResolveModel(descriptor, runtime.ModelLookup);
        var record = step.ModelRecord;
        record.Model = model;
        var messages = Conversation.Start(descriptor, context.ArgumentArray);
        record.StartConversation(messages);

        var sink = (StreamSink<T>)context.Sink!;
        var cancellationToken = context.CancellationToken;
        bool isText = typeof(T) == typeof(string);
        bool watched = ModelStream.IsWatched(runtime);
        var text = new StreamedText(json: !isText, itemDepth: isText ? 0 : 2);
        var completed = new List<string>();
        var updates = new List<ChatResponseUpdate>();
        bool stopped = false;
        int items = 0;

        // A slot first, then the call counts; the slot is held until the stream ends. A call cancelled by then is not made.
        using var lease = await ModelCallLimiter.EnterAsync(context, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var options = ModelInvoker.Start(context, descriptor.OptionsFor(model), messages, 1);
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                updates.Add(update);
                var delta = update.Text;
                if (delta.Length == 0)
                {
                    continue;
                }

                ModelStream.Append(descriptor, text, delta, 1, isText ? null : completed.Add);
                if (watched)
                {
                    ModelStream.Publish(step, new ModelTextEvent(step, delta, text, 1));
                }

                if (isText)
                {
                    await sink.WriteAsync((T)(object)delta, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                foreach (var itemJson in completed)
                {
                    await sink.WriteAsync(ReadItem(descriptor, itemJson, text, items++), cancellationToken).ConfigureAwait(false);
                }

                completed.Clear();
                if (text.Failed)
                {
                    throw new StepOutputException(descriptor.QualifiedName, text.Read(text.Length), ["$: the reply is not valid JSON where it reached"], 1);
                }
            }
        }
        catch (Exception) when (ModelStream.CountCut(context, model, updates, sink.StoppedByConsumer))
        {
            throw; // never: the filter counts a cut stream's call and lets the exception on
        }
        catch (OperationCanceledException) when (sink.StoppedByConsumer)
        {
            stopped = true; // the caller stopped reading: the step ends with what it yielded
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not AgentStepsException)
        {
            throw new StepModelException(descriptor.QualifiedName, model, e);
        }

        if (options is null)
        {
            return sink.Items(); // stopped while waiting for a slot: no call was made
        }

        var (response, reply) = ModelInvoker.Finish(context, model, updates.ToChatResponse(), 1);
        Conversation.AddReply(messages, response, reply);
        if (!stopped)
        {
            ReplyChecks.ThrowIfUnusable(descriptor, response, reply);
            if (!isText && !text.IsComplete)
            {
                throw new StepOutputException(descriptor.QualifiedName, reply, ["$: the reply ended before its JSON array was complete"], 1);
            }
        }

        if (!stopped)
        {
            await sink.WhenReadAsync(cancellationToken).ConfigureAwait(false);
        }

        return sink.Items();
    }

    /// <summary>Reads one item of the array with the step's output contract (a list of <typeparamref name="T"/>), so it is validated as the whole would be.</summary>
    private static T ReadItem(Inspection.StepDescriptor descriptor, string itemJson, StreamedText text, int index)
    {
        if (descriptor.Output!.TryParse("{\"value\":[" + itemJson + "]}", out var parsed, out var errors) && parsed is List<T> { Count: 1 } list)
        {
            return list[0];
        }

        throw new StepOutputException(descriptor.QualifiedName, text.Read(text.Length), errors.Select(e => e.Replace("$.value[0]", $"$.value[{index}]", StringComparison.Ordinal)).ToList(), 1);
    }
}
