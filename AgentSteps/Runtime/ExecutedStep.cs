using System.Globalization;
using System.Text;
using AgentSteps.Diagnostics;
using AgentSteps.Inspection;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// One finished call of a step: its arguments, its result or exception, where it sits in the call tree, its timing and,
/// for an LLM step, the model and the tokens it used.
/// </summary>
public sealed class ExecutedStep
{
    private readonly StepDescriptor _descriptor;
    private readonly object?[] _arguments; // snapshots taken when the step started (TraceSnapshot)
    private object? _result; // the snapshot taken when the step finished
    private object? _resultValue; // the result rebuilt from its snapshot on first read
    private IReadOnlyDictionary<string, object?>? _argumentView;
    private List<ExecutedStep>? _children;
    private ChildOrdinals _childOrdinals;
    private string? _key;
    private ModelCallRecord? _model;
    private UsageTally? _subtreeUsage; // only for a step with a budget of its own ([Step(MaxModelCalls = ...)])
    private readonly long _startedAtTicks; // UTC ticks read from a custom clock as the step started; 0: derived (system clock)

    internal ExecutedStep(StepDescriptor descriptor, object?[] arguments, ExecutedStep? parent, Runtime owner, int ordinal, int sequence, int loop, long startedTimestamp, long startedAtTicks)
    {
        Sequence = sequence;
        _descriptor = descriptor;
        _arguments = Capture(arguments, owner.Configuration.Trace);
        Owner = owner;
        Parent = parent;
        Ordinal = ordinal;
        Loop = loop;
        StartedTimestamp = startedTimestamp;
        _startedAtTicks = startedAtTicks;
    }

    /// <summary>
    /// Gets the step's identity within its run: the parent's key, then the step's name and the ordinal of this call among
    /// the parent's calls of that step, counted in call order from 1, such as <c>CreateRecipe:1/DraftRecipe:2</c>.
    /// </summary>
    /// <remarks>
    /// The same code with the same inputs gives the same keys on every run, whatever order the steps finish in: steps
    /// started together (<c>Task.WhenAll</c>) are numbered in the order they were called. Steps started concurrently from
    /// different threads (<c>Parallel.ForEachAsync</c>) are numbered in the order they reached the runtime.
    /// </remarks>
    public string Key => _key ?? ComputeKey();

    /// <summary>Gets which call of this step by its parent (or among the run's top-level calls) this was, counting from 1.</summary>
    public int Ordinal { get; }

    /// <summary>Gets the step's name, such as <c>DraftRecipe</c>; an overloaded step's includes its parameter types, such as <c>Go(string, int)</c>.</summary>
    public string Name => _descriptor.Name;

    /// <summary>Gets the name of the workflow class the step ran in (the proxied class, not a base class that declares it), such as <c>Extract&lt;Item&gt;</c>.</summary>
    public string Workflow => _descriptor.Workflow;

    /// <summary>Gets whether the step ran code or called a model.</summary>
    public StepKind Kind => _descriptor.Kind;

    /// <summary>
    /// Gets the arguments by parameter name (a <see cref="CancellationToken"/> parameter is left out), as they were when
    /// the step started: a list changed later still shows its state at the call. Each is a copy rebuilt from the trace's
    /// snapshot (see <see cref="StepTraceOptions"/>), or that snapshot as a <see cref="Newtonsoft.Json.Linq.JToken"/> when
    /// it was capped or scrubbed; strings, numbers and other immutable values, and non-data objects such as delegates,
    /// tasks and clients, are the values themselves. The copy is made on first read and shared by later reads: change it
    /// and later reads see the change, but the trace's JSON (<see cref="Runtime.ToJson(bool)"/>) never does.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Arguments =>
        _argumentView ??= new StepArguments(_descriptor.ArgumentNames, _descriptor.ArgumentIndices, _arguments, Owner.Configuration.Trace);

    /// <summary>
    /// Gets the step's result as it was when the step returned, or <see langword="null"/> when it failed or returns
    /// nothing; rebuilt from the trace's snapshot as <see cref="Arguments"/> are.
    /// </summary>
    public object? Result
    {
        get
        {
            if (_result is not (TraceValue or ReplySnapshot))
            {
                return _result;
            }

            if (_resultValue is null)
            {
                Interlocked.CompareExchange(ref _resultValue, TraceSnapshot.Materialize(_result, Owner.Configuration.Trace), null);
            }

            return _resultValue;
        }
    }

    /// <summary>Gets the exception the step ended with, or <see langword="null"/> when it succeeded.</summary>
    public Exception? Exception { get; private set; }

    /// <summary>Gets a value indicating whether the step returned without an exception.</summary>
    public bool Succeeded => Exception is null;

    /// <summary>Gets the step that called this one, or <see langword="null"/> for a step called from outside any step.</summary>
    public ExecutedStep? Parent { get; }

    /// <summary>Gets the steps this one called, in the order they finished.</summary>
    public IReadOnlyList<ExecutedStep> Children
    {
        get
        {
            lock (Owner.Gate)
            {
                return _children is null ? [] : _children.ToArray();
            }
        }
    }

    /// <summary>
    /// Gets the position of this call among all the run's calls, in call order (1 for the first): the trace lists steps by
    /// it, since <see cref="StartedAt"/> ties under a fixed or coarse clock and parallel branches would then print in
    /// completion order. The tool calls of one model reply get theirs in the reply's order, however they are scheduled.
    /// </summary>
    public int Sequence { get; }

    /// <summary>Gets the runtime that recorded the step.</summary>
    internal Runtime Owner { get; }

    /// <summary>
    /// Gets or sets the token that cancels the step as its model calls see it: its own token linked with the run's, its
    /// parent's and its time limit's. Its child steps link it in turn, so a cancellation or time limit reaches them even
    /// when they have no <see cref="CancellationToken"/> parameter.
    /// </summary>
    internal CancellationToken Cancellation { get; set; }

    /// <summary>Gets the caps the step's snapshots were taken with.</summary>
    internal StepTraceOptions TraceLimits => Owner.Configuration.Trace;

    /// <summary>Gets the snapshot of the result (see <see cref="TraceSnapshot"/>), for writing the trace without running user code.</summary>
    internal object? ResultSnapshot => _result;

    /// <summary>Gets the names of the arguments, in order.</summary>
    internal string[] ArgumentNames => _descriptor.ArgumentNames;

    /// <summary>Gets when the step started.</summary>
    /// <remarks>
    /// Under the system clock, derived from the run's start and the clock's timestamps, so that a step reads the clock once
    /// when it starts; under a custom <see cref="RuntimeOptions.TimeProvider"/>, its wall time as the step started.
    /// </remarks>
    public DateTimeOffset StartedAt => _startedAtTicks != 0
        ? new DateTimeOffset(_startedAtTicks, TimeSpan.Zero)
        : Owner.StartedAt + Owner.Configuration.TimeProvider.GetElapsedTime(Owner.StartedTimestamp, StartedTimestamp);

    /// <summary>Gets the clock's timestamp when the step started, from which its duration is measured.</summary>
    internal long StartedTimestamp { get; }

    /// <summary>Gets how long the step took, its children included.</summary>
    public TimeSpan Duration { get; private set; }

    /// <summary>Gets which entry of this step within the run this was, counting from 1 (compare with <see cref="StepAttribute.MaxLoops"/>).</summary>
    public int Loop { get; }

    /// <summary>Gets the model that answered an LLM step, after overrides and aliases; <see langword="null"/> for a code step.</summary>
    public string? Model => _model?.Model;

    /// <summary>
    /// Gets the model that the provider said answered, when it reported one (a dated version such as
    /// <c>gpt-4o-mini-2024-07-18</c>, or <c>sample</c> for <see cref="SampleChatClient"/>); <see langword="null"/> for a code step.
    /// </summary>
    public string? ResponseModel => _model?.ResponseModel;

    /// <summary>
    /// Gets how many model requests an LLM step made: one per call, one more per output retry, and one more per retry the
    /// client made on its own (HTTP 429 or 5xx) when it reports them, as the clients AgentSteps creates do. Calls that
    /// threw count too.
    /// </summary>
    public int ModelCalls => _model?.Calls ?? 0;

    /// <summary>
    /// Gets an LLM step's conversation with the model, as sent and received: the system prompt, the user prompt, each
    /// reply and each correction sent after an invalid reply. Empty for a code step.
    /// </summary>
    /// <remarks>When middleware ran the model call more than once (a retry), every call's conversation is here, in order.</remarks>
    public IReadOnlyList<ChatMessage> Messages => _model is { } model ? model.Messages() : [];

    /// <summary>
    /// Gets how long an LLM step's model calls waited, in total, for a slot under
    /// <see cref="RuntimeOptions.MaxConcurrentModelCalls"/>, measured with <see cref="RuntimeOptions.TimeProvider"/>;
    /// <see cref="TimeSpan.Zero"/> when none waited, and for a code step. It is part of <see cref="Duration"/>.
    /// </summary>
    public TimeSpan ModelWaitTime => _model?.WaitTime ?? TimeSpan.Zero;

    /// <summary>Gets the tokens an LLM step used over all its model calls, when the provider reported them.</summary>
    public UsageDetails? Usage => _model?.Usage;

    /// <summary>
    /// Gets the cost of an LLM step's own model calls (not those of steps it called), from
    /// <see cref="RuntimeOptions.Prices"/> by the model it called. <see langword="null"/> for a code step, and when the
    /// cost is unknown: its model has no price (see <see cref="RunUsage.ModelsWithoutPrice"/>) or a reply reported no usage.
    /// </summary>
    public decimal? Cost => _model?.Cost;

    /// <inheritdoc />
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Name} #{Loop} ({Duration.TotalMilliseconds:0.#} ms");
        if (Model is not null)
        {
            // The model that answered when the provider names another (a dated version, or the offline sample model).
            text += ", " + (ResponseModel is { Length: > 0 } answered && !string.Equals(answered, Model, StringComparison.Ordinal) ? answered : Model);
        }

        if (Usage is { } usage)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {usage.InputTokenCount ?? 0} in / {usage.OutputTokenCount ?? 0} out tokens");
        }

        if (ModelWaitTime > TimeSpan.Zero)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", waited {ModelWaitTime.TotalMilliseconds:0.#} ms for a model slot");
        }

        if (Replayed)
        {
            text += ", replayed";
        }

        return text + ")" + (Exception is null ? string.Empty : $" failed: {Exception.GetType().Name}");
    }

    /// <summary>
    /// Builds this step's key from the nearest ancestor whose key is known, walking up in a loop rather than recursing
    /// (a step recursing thousands of times would overflow the stack of whoever first reads the deepest key), and keeps
    /// only this step's key, so that reading one deep key does not build every ancestor's.
    /// </summary>
    private string ComputeKey()
    {
        if (Parent is null || Parent._key is not null)
        {
            var ordinal = Ordinal.ToString(CultureInfo.InvariantCulture);
            return _key = Parent is null ? string.Concat(Name, ":", ordinal) : string.Concat(Parent._key, "/", Name, ":", ordinal);
        }

        var path = new Stack<ExecutedStep>();
        var known = this;
        for (; known is not null && known._key is null; known = known.Parent)
        {
            path.Push(known);
        }

        var key = new StringBuilder(known?._key);
        while (path.Count > 0)
        {
            var step = path.Pop();
            if (key.Length > 0)
            {
                key.Append('/');
            }

            key.Append(step.Name).Append(':').Append(step.Ordinal.ToString(CultureInfo.InvariantCulture));
        }

        return _key = key.ToString();
    }

    /// <summary>Gets the budget of this step's whole subtree, or <see langword="null"/> when its attribute sets none.</summary>
    internal Pipeline.BudgetLimits? Budget => _descriptor.Budget;

    /// <summary>Gets the usage counted against this step's own budget, made on first use; only for a step with a <see cref="Budget"/>.</summary>
    internal UsageTally SubtreeUsage =>
        Volatile.Read(ref _subtreeUsage) ?? Interlocked.CompareExchange(ref _subtreeUsage, new UsageTally(), null) ?? _subtreeUsage!;

    /// <summary>Gets the record of an LLM step's model calls, made on first use.</summary>
    internal ModelCallRecord ModelRecord => _model ??= new ModelCallRecord();

    /// <summary>Called under the runtime's lock.</summary>
    internal int NextChildOrdinal(string name) => _childOrdinals.Next(name);

    /// <summary>Gets the snapshot of the argument at <paramref name="position"/> in <see cref="ArgumentNames"/>.</summary>
    internal object? ArgumentSnapshot(int position) => _arguments[_descriptor.ArgumentIndices[position]];

    /// <summary>
    /// Gets a value indicating whether the step did not run but returned (or threw) what the run's journal kept of it,
    /// in a resumed run (see <see cref="RuntimeOptions.Journal"/>).
    /// </summary>
    public bool Replayed { get; internal set; }

    internal void Complete(object? result, TimeSpan duration)
    {
        if (_descriptor.Kind == StepKind.Llm && _descriptor.Shape.ItemType == typeof(string) && result is IReadOnlyList<string> pieces)
        {
            result = string.Concat(pieces); // a text stream is recorded as the text, not as its pieces
        }

        _result = _model?.TakeReplySnapshot(result) ?? TraceSnapshot.Capture(result, Owner.Configuration.Trace);
        Duration = duration;
    }

    internal void Fail(Exception exception, TimeSpan duration)
    {
        Exception = exception;
        Duration = duration;
    }

    /// <summary>Called under the runtime's lock.</summary>
    internal void AddChild(ExecutedStep child) => (_children ??= []).Add(child);

    /// <summary>
    /// Snapshots the call's arguments now, as the caller may change them later. The call's own array is kept when every
    /// argument is its own snapshot (strings, numbers...): steps take no ref or out parameters, so nothing writes to it.
    /// </summary>
    private static object?[] Capture(object?[] arguments, StepTraceOptions trace)
    {
        object?[]? snapshots = null;
        for (int i = 0; i < arguments.Length; i++)
        {
            var snapshot = TraceSnapshot.Capture(arguments[i], trace);
            if (snapshots is null && !ReferenceEquals(snapshot, arguments[i]))
            {
                snapshots = new object?[arguments.Length];
                Array.Copy(arguments, snapshots, i);
            }

            if (snapshots is not null)
            {
                snapshots[i] = snapshot;
            }
        }

        return snapshots ?? arguments;
    }
}
