using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>Says what a <see cref="RunEvent"/> reports.</summary>
public enum RunEventKind
{
    /// <summary>A step started (<see cref="StepStartedEvent"/>).</summary>
    StepStarted,

    /// <summary>A step ended, successfully or not (<see cref="StepCompletedEvent"/>).</summary>
    StepCompleted,

    /// <summary>A model sent text for an LLM step (<see cref="ModelTextEvent"/>).</summary>
    ModelText,

    /// <summary>A model asked for a tool call (<see cref="ToolCallEvent"/>).</summary>
    ToolCall,

    /// <summary>A human step asked a person for input (<see cref="HumanInputRequestedEvent"/>).</summary>
    HumanInputRequested,

    /// <summary>The run ended (<see cref="RunCompletedEvent"/>); always the last event of a run.</summary>
    RunCompleted,
}

/// <summary>
/// Something that happened in a run, as <see cref="Runtime.WatchAsync(CancellationToken)"/> yields it and
/// <see cref="IRunObserver"/> is told of it.
/// </summary>
public abstract class RunEvent
{
    private protected RunEvent(Runtime run, ExecutedStep? step)
    {
        Run = run;
        Step = step;
        Timestamp = run.Configuration.TimeProvider.GetUtcNow();
    }

    /// <summary>Gets what the event reports.</summary>
    public abstract RunEventKind Kind { get; }

    /// <summary>Gets the run the event belongs to.</summary>
    public Runtime Run { get; }

    /// <summary>Gets the step the event is about, or <see langword="null"/> for the run's own events.</summary>
    public ExecutedStep? Step { get; }

    /// <summary>Gets when the event happened, by the run's <see cref="RuntimeOptions.TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <inheritdoc />
    public override string ToString() => Step is null ? Kind.ToString() : $"{Kind} {Step.Key}";
}

/// <summary>A step started: its record has its name, key, parent and arguments, not yet its result.</summary>
public sealed class StepStartedEvent : RunEvent
{
    internal StepStartedEvent(ExecutedStep step)
        : base(step.Owner, step)
    {
    }

    /// <inheritdoc />
    public override RunEventKind Kind => RunEventKind.StepStarted;
}

/// <summary>A step ended: its record has its result, or its exception when it failed.</summary>
public sealed class StepCompletedEvent : RunEvent
{
    internal StepCompletedEvent(ExecutedStep step)
        : base(step.Owner, step)
    {
    }

    /// <inheritdoc />
    public override RunEventKind Kind => RunEventKind.StepCompleted;

    /// <summary>Gets a value indicating whether the step failed (see <see cref="ExecutedStep.Exception"/>).</summary>
    public bool Failed => Step!.Exception is not null;
}

/// <summary>
/// Text a model sent for an LLM step, as it arrives: the new piece (<see cref="Delta"/>), all the text of this model
/// call so far (<see cref="Text"/>) and, for a step with structured output, that text closed into a JSON document that
/// parses (<see cref="PartialJson"/>), so a UI can show an answer taking shape.
/// </summary>
/// <remarks>
/// <see cref="Text"/> and <see cref="PartialJson"/> are made when first read, so an event no one reads them from costs
/// nothing. A watcher that falls behind may miss some of these events (see <see cref="Runtime.WatchAsync"/>); the next
/// one it gets still holds the whole text so far.
/// </remarks>
public sealed class ModelTextEvent : RunEvent
{
    private readonly Pipeline.StreamedText.Snapshot _snapshot;
    private string? _text;
    private string? _partialJson;

    internal ModelTextEvent(ExecutedStep step, string delta, Pipeline.StreamedText text, int call)
        : base(step.Owner, step)
    {
        Delta = delta;
        _snapshot = text.Take();
        ModelCall = call;
        IsStructured = text.IsJson;
    }

    /// <inheritdoc />
    public override RunEventKind Kind => RunEventKind.ModelText;

    /// <summary>Gets the text that arrived now.</summary>
    public string Delta { get; }

    /// <summary>Gets the number of the step's model call the text belongs to (1 for the first; a correction or a tool round makes another).</summary>
    public int ModelCall { get; }

    /// <summary>Gets a value indicating whether the step's output is JSON, so that <see cref="PartialJson"/> is given.</summary>
    public bool IsStructured { get; }

    /// <summary>Gets all the text of this model call so far, this event's delta included.</summary>
    public string Text => _text ??= _snapshot.Read();

    /// <summary>
    /// Gets the JSON so far closed into a document that parses (open strings, arrays and objects closed; a half-written
    /// key or value left out), or <see langword="null"/> for a step whose output is text, or when the text so far cannot
    /// become JSON.
    /// </summary>
    public string? PartialJson => IsStructured && !_snapshot.Failed ? _partialJson ??= _snapshot.Close() : null;
}

/// <summary>A model asked an LLM step for a tool call; the call's own step follows when it runs.</summary>
public sealed class ToolCallEvent : RunEvent
{
    internal ToolCallEvent(ExecutedStep step, FunctionCallContent call)
        : base(step.Owner, step)
    {
        Call = call;
    }

    /// <inheritdoc />
    public override RunEventKind Kind => RunEventKind.ToolCall;

    /// <summary>Gets the call: the tool's name, its arguments and the provider's call id.</summary>
    public FunctionCallContent Call { get; }
}

/// <summary>A human step asked a person for input: its question and the schema the answer must follow.</summary>
public sealed class HumanInputRequestedEvent : RunEvent
{
    internal HumanInputRequestedEvent(ExecutedStep step, string question, string? answerSchema)
        : base(step.Owner, step)
    {
        Question = question;
        AnswerSchema = answerSchema;
    }

    /// <inheritdoc />
    public override RunEventKind Kind => RunEventKind.HumanInputRequested;

    /// <summary>Gets the step's key, by which the answer is given.</summary>
    public string Key => Step!.Key;

    /// <summary>Gets the question asked.</summary>
    public string Question { get; }

    /// <summary>Gets the JSON schema the answer must follow, or <see langword="null"/> for a text answer.</summary>
    public string? AnswerSchema { get; }
}

/// <summary>The run ended; the last event a watcher gets.</summary>
public sealed class RunCompletedEvent : RunEvent
{
    internal RunCompletedEvent(Runtime run)
        : base(run, null)
    {
    }

    /// <inheritdoc />
    public override RunEventKind Kind => RunEventKind.RunCompleted;
}
