using AgentSteps.Diagnostics;
using AgentSteps.Inspection;
using AgentSteps.Internal;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// The context a workflow runs in: it resolves models, enforces loop limits and records every step. Opening one makes it
/// the ambient runtime of the current async flow (it flows through <see langword="await"/> and nests); disposing it
/// restores the one that was ambient before. Runtimes nest last-in-first-out.
/// </summary>
/// <remarks>
/// A runtime is a cheap run record on top of a configuration compiled once per <see cref="RuntimeOptions"/> instance (and
/// once per process for <c>new Runtime()</c>), so opening one per request or job costs no client or pipeline rebuild.
/// </remarks>
/// <example>
/// <code>
/// using var runtime = new Runtime();
/// var recipe = Steps.Create&lt;RecipeWorkflow&gt;().CreateRecipe("chicken parmesan");
/// Console.WriteLine(runtime.FormatTree());
/// </code>
/// </example>
public sealed class Runtime : IDisposable
{
    // What is ambient in the current async flow: a runtime, or the step running in it (whose Owner is the runtime). One
    // async local rather than two, as each step changes it: a step then costs the smallest execution-context change.
    private static readonly AsyncLocal<object?> s_ambient = new();

    private RunEventHub? _events;
    private SemaphoreSlim? _approvalGate;
    private UsageTally? _usage;
    private Pipeline.RunJournalState? _journal;
    private readonly Guid _newId; // the id of a run without RuntimeOptions.RunId, formatted as RunId on first use
    private string? _runId;
    private readonly object? _previous; // what was ambient before this runtime: a runtime, a step, or nothing
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _cancellation;
    private readonly List<ExecutedStep> _executed = [];
    private ChildOrdinals _rootOrdinals;
    private int[]? _entries;
    private volatile bool _disposed;
    private int _completed;
    private int _started;
    private int _running; // steps started and not yet recorded, guarded by _gate

    /// <summary>
    /// Initializes a new instance of the <see cref="Runtime"/> class with models from the environment
    /// (<c>OPENAI_API_KEY</c>, <c>OPENAI_BASE_URL</c>, <c>AGENTSTEPS_MODEL</c>), and makes it the ambient runtime. The
    /// client made from the environment is built once per process and shared by every such runtime.
    /// </summary>
    /// <remarks>
    /// With neither variable set, the runtime opens, but the first LLM step throws <see cref="InvalidOperationException"/>
    /// saying how to configure a model; pass a <see cref="SampleChatClient"/> to run offline.
    /// </remarks>
    /// <exception cref="InvalidOperationException"><c>OPENAI_BASE_URL</c> is set but is not a URL.</exception>
    public Runtime()
        : this(RuntimeConfiguration.FromEnvironment(), ambient: true)
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="Runtime"/> class that sends every model through one client (the step's
    /// model goes in <see cref="ChatOptions.ModelId"/>), and makes it the ambient runtime.
    /// </summary>
    /// <param name="chatClient">The client that answers every LLM step.</param>
    /// <exception cref="ArgumentNullException"><paramref name="chatClient"/> is <see langword="null"/>.</exception>
    public Runtime(IChatClient chatClient)
        : this(RuntimeConfiguration.For(Throw.IfNull(chatClient)), ambient: true)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="Runtime"/> class and makes it the ambient runtime.</summary>
    /// <param name="options">
    /// The options. The first runtime built from them compiles and freezes them (see <see cref="RuntimeOptions.IsReadOnly"/>).
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public Runtime(RuntimeOptions options)
        : this(Throw.IfNull(options).Compile(), ambient: true)
    {
    }

    /// <summary>Initializes a run; a bound workflow opens one that is not ambient, and makes it ambient around its call only.</summary>
    internal Runtime(RuntimeConfiguration configuration, bool ambient)
    {
        Configuration = configuration;
        StartedAt = configuration.TimeProvider.GetUtcNow();
        StartedTimestamp = configuration.TimeProvider.GetTimestamp();
        _runId = configuration.RunId;
        if (_runId is null)
        {
            _newId = Guid.NewGuid();
        }

        // One source per run, linked to the options' token when that can cancel: every step links its token, not a source of its own.
        _cancellation = configuration.CancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(configuration.CancellationToken)
            : new CancellationTokenSource();
        CancellationToken = _cancellation.Token;
        if (ambient)
        {
            _previous = s_ambient.Value;
            s_ambient.Value = this;
        }
    }

    /// <summary>Gets the ambient runtime of the current async flow, or <see langword="null"/> when none is open.</summary>
    /// <remarks>
    /// Never a disposed runtime: one disposed from another async flow (a child task, an async method awaited by this flow)
    /// stays ambient in this flow's context, so the nearest runtime around it that is still open is returned instead.
    /// </remarks>
    public static Runtime? Current => RuntimeOf(NearestOpen(s_ambient.Value));

    /// <summary>
    /// Gets the identifier of this run, for correlating logs and traces, and under which a journal keeps it:
    /// <see cref="RuntimeOptions.RunId"/> when set, else a new GUID (32 hex digits).
    /// </summary>
    public string RunId => _runId ??= _newId.ToString("N"); // formatted on first use: a run nobody asks about pays no string

    /// <summary>Gets when the run was opened, by the clock of <see cref="RuntimeOptions.TimeProvider"/>.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Gets the clock's timestamp at <see cref="StartedAt"/>: a step's start time is this run's plus the time between.</summary>
    internal long StartedTimestamp { get; }

    /// <summary>Gets every finished step so far, in the order they finished (a snapshot).</summary>
    public IReadOnlyList<ExecutedStep> ExecutedSteps
    {
        get
        {
            lock (_gate)
            {
                return _executed.ToArray();
            }
        }
    }

    /// <summary>
    /// Gets what the run has used of its models so far (a snapshot): model calls, input, output and total tokens, the cost
    /// from <see cref="RuntimeOptions.Prices"/>, and what that cost leaves out (models without a price, replies without
    /// usage). Calls still in flight add theirs when they return.
    /// </summary>
    public RunUsage Usage => (Volatile.Read(ref _usage) ?? new UsageTally()).Snapshot();

    /// <summary>Gets the run's journal state (only called by the journal stage, which is composed only with a journal).</summary>
    internal Pipeline.RunJournalState JournalState =>
        Volatile.Read(ref _journal) ?? Interlocked.CompareExchange(ref _journal, new Pipeline.RunJournalState(this, Configuration.Journal!), null) ?? _journal!;

    /// <summary>Gets the usage counted against the run's budget, made at the run's first model call.</summary>
    internal UsageTally UsageTally =>
        Volatile.Read(ref _usage) ?? Interlocked.CompareExchange(ref _usage, new UsageTally(), null) ?? _usage!;

    /// <summary>Gets the finished steps that were called from outside any step: the roots of the call tree.</summary>
    public IReadOnlyList<ExecutedStep> RootSteps
    {
        get
        {
            lock (_gate)
            {
                var roots = new List<ExecutedStep>();
                foreach (var step in _executed)
                {
                    if (step.Parent is null)
                    {
                        roots.Add(step);
                    }
                }

                return roots;
            }
        }
    }

    /// <summary>Gets or sets the ambient runtime, disposed or not; setting it replaces the ambient step too.</summary>
    internal static Runtime? CurrentOrNull
    {
        get => RuntimeOf(s_ambient.Value);
        set => s_ambient.Value = value;
    }

    /// <summary>Gets or sets what is ambient, as it is (a runtime, a step, or nothing), to restore it exactly.</summary>
    internal static object? Ambient
    {
        get => s_ambient.Value;
        set => s_ambient.Value = value;
    }

    /// <summary>Gets or sets the step running in the current flow, which parents the steps it calls.</summary>
    internal static ExecutedStep? CurrentStep
    {
        get => s_ambient.Value as ExecutedStep;
        set => s_ambient.Value = value;
    }

    internal RuntimeConfiguration Configuration { get; }

    /// <summary>Gets the token that <see cref="Cancel"/> and <see cref="RuntimeOptions.CancellationToken"/> cancel, which every top-level step links.</summary>
    internal CancellationToken CancellationToken { get; }

    /// <summary>Gets the run's own lookup of per-model clients, consulted after the configuration's (keyed services of a DI scope).</summary>
    internal Func<string, IChatClient?>? ModelLookup { get; init; }

    internal RuntimeLog Log => Configuration.Log;

    internal Lock Gate => _gate;

    internal bool IsDisposed => _disposed;

    /// <summary>Writes the call tree as indented text: name, loop entry, duration, model, tokens and outcome per step.</summary>
    /// <returns>The tree, one step per line.</returns>
    public string FormatTree() => TraceFormatter.FormatTree(RootSteps);

    /// <summary>Serialises the call tree to JSON: per step its name, key, arguments, result or error, timing, model, tokens and children.</summary>
    /// <param name="indented">Whether to indent the JSON.</param>
    /// <returns>The JSON text.</returns>
    public string ToJson(bool indented = true) => TraceFormatter.ToJson(RootSteps, RunId, indented);

    /// <summary>
    /// Ends this runtime: the runtime that was ambient when it was opened becomes ambient again, and the observers are told
    /// that the run completed (once the steps still running, if any, have ended). Steps called after this fail with
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// A runtime opened inside this one, in the same flow, is still open: runtimes end last-in-first-out. This runtime is
    /// ended all the same and never becomes ambient again; dispose the inner one too.
    /// </exception>
    public void Dispose()
    {
        bool first, idle;
        lock (_gate)
        {
            first = !_disposed;
            _disposed = true;
            idle = _running == 0;
        }

        // A runtime disposed from another flow stays ambient in this flow's context; it is not open, so it neither blocks
        // this one's disposal nor comes back. Skip it (this runtime itself excepted: it is the one being ended here).
        var ambient = s_ambient.Value;
        while (RuntimeOf(ambient) is { _disposed: true } other && !ReferenceEquals(other, this))
        {
            ambient = other._previous;
        }

        var current = RuntimeOf(ambient);
        bool outOfOrder = false;
        if (ReferenceEquals(current, this))
        {
            // Also on a second dispose: the first may have come from another flow, which left this flow's context as it was.
            s_ambient.Value = NearestOpen(_previous);
        }
        else if (first)
        {
            for (var open = RuntimeOf(current?._previous); open is not null; open = RuntimeOf(open._previous))
            {
                if (ReferenceEquals(open, this))
                {
                    outOfOrder = true;
                    break;
                }
            }
        }

        if (!first)
        {
            return;
        }

        // A step still running (a task not awaited before the using block ended) ends the run when it ends, so that the
        // observers hear of every step before the run's end.
        if (idle)
        {
            Complete();
        }

        if (outOfOrder)
        {
            throw new InvalidOperationException(
                "This runtime was disposed while a runtime opened inside it is still open. Runtimes nest last-in-first-out: dispose the inner runtime first " +
                "(with 'using' blocks this happens by itself).");
        }
    }

    /// <summary>
    /// Cancels the run: every step running in it is cancelled (its model calls, its tools and its child steps, in steps
    /// with or without a <see cref="CancellationToken"/> parameter), and every step called after this throws
    /// <see cref="OperationCanceledException"/> before its body or model call. Calling it again, or after the run has
    /// ended, does nothing.
    /// </summary>
    /// <remarks>
    /// Cancellation is cooperative: the body of a code step without a token parameter runs on until it calls a model or a
    /// step, which then throws.
    /// </remarks>
    public void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run has ended: there is nothing left to cancel.
        }
    }

    /// <summary>Ends the run for the observers, once.</summary>
    internal void Complete()
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            // Unlinks the run from RuntimeOptions.CancellationToken, which may outlive many runs.
            _cancellation.Dispose();
            Volatile.Read(ref _journal)?.Complete();
            Configuration.Notify.RunCompleted(this);
            Events?.Complete(this);
        }
    }

    /// <summary>Gets the run's watchers, or <see langword="null"/> while no one has watched it.</summary>
    internal RunEventHub? Events => Volatile.Read(ref _events);

    /// <summary>
    /// Watches the run: yields each <see cref="RunEvent"/> as it happens (steps starting and ending, model text as it
    /// streams, tool calls, requests for human input), ending with <see cref="RunCompletedEvent"/> when the run ends.
    /// While anything watches, every LLM step streams its reply from the model, so the text arrives as it is written.
    /// </summary>
    /// <param name="cancellationToken">Stops watching (the run goes on).</param>
    /// <returns>The events, from the moment of this call; a run that has ended yields only its end.</returns>
    /// <remarks>
    /// The watcher is registered when this method is called, not when enumeration starts, so call it before starting
    /// the work to watch. Each watcher has its own buffer, and a slow watcher never slows the run: while it is more than
    /// 1,000 events behind, <see cref="ModelTextEvent"/>s are dropped for it (the next one it gets still holds the whole
    /// text so far); step, tool-call, human-input and run events are never dropped.
    /// </remarks>
    public IAsyncEnumerable<RunEvent> WatchAsync(CancellationToken cancellationToken = default)
    {
        var hub = Volatile.Read(ref _events) ?? Interlocked.CompareExchange(ref _events, new RunEventHub(), null) ?? _events!;
        var watcher = hub.Add(this);
        if (Volatile.Read(ref _completed) == 1)
        {
            hub.Complete(this); // the run ended before this hub existed; Complete runs once per hub
        }

        return ReadAsync(hub, watcher, cancellationToken);
    }

    private static async IAsyncEnumerable<RunEvent> ReadAsync(
        RunEventHub hub, RunEventHub.Watcher watcher, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var runEvent = await watcher.TakeAsync(cancellationToken).ConfigureAwait(false);
                yield return runEvent;
                if (runEvent.Kind == RunEventKind.RunCompleted)
                {
                    yield break;
                }
            }
        }
        finally
        {
            hub.Remove(watcher);
        }
    }

    /// <summary>Gets the gate that has the run ask <see cref="RuntimeOptions.ApprovalHandler"/> one call at a time.</summary>
    internal SemaphoreSlim ApprovalGate
    {
        get
        {
            var gate = Volatile.Read(ref _approvalGate);
            return gate ?? Interlocked.CompareExchange(ref _approvalGate, new SemaphoreSlim(1, 1), null) ?? _approvalGate!;
        }
    }

    /// <summary>Creates the record of a step call that is starting now, as a child of the calling step when it belongs to this run.</summary>
    /// <param name="descriptor">The step.</param>
    /// <param name="arguments">The call's arguments.</param>
    /// <param name="toolCall">A model's tool call the step runs for, whose place in the run was reserved in reply order.</param>
    internal ExecutedStep StartStep(StepDescriptor descriptor, object?[] arguments, Tools.ToolCall? toolCall = null)
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(
                nameof(Runtime),
                $"Step '{descriptor.QualifiedName}' was called on a runtime that has been disposed (run {RunId}), from work that outlived the runtime's " +
                "'using' block. Await that work before the block ends, or open a new runtime for it.");
        }

        var parent = s_ambient.Value as ExecutedStep;
        if (parent is not null && !ReferenceEquals(parent.Owner, this))
        {
            parent = null; // A step of an outer runtime is not a parent in this one.
        }

        // One lock for all the run's bookkeeping of a starting step: its key's ordinal, its place in call order, and its
        // entry count, which the loop guard stage checks against MaxLoops.
        int ordinal, sequence, entry;
        lock (_gate)
        {
            _running++;
            if (toolCall is { Reserved: true } reserved)
            {
                (ordinal, sequence, entry) = (reserved.Ordinal, reserved.Sequence, reserved.Entry);
            }
            else
            {
                ordinal = parent is null ? _rootOrdinals.Next(descriptor.Name) : parent.NextChildOrdinal(descriptor.Name);
                sequence = ++_started;
                entry = NextEntry(descriptor);
            }
        }

        var clock = Configuration.TimeProvider;
        long startedAtTicks = Configuration.DerivesStartTimes ? 0 : clock.GetUtcNow().UtcTicks;
        return new ExecutedStep(descriptor, arguments, parent, this, ordinal, sequence, entry, clock.GetTimestamp(), startedAtTicks);
    }

    /// <summary>
    /// Reserves the run's bookkeeping of a step that <paramref name="parent"/> is about to call as a tool (its key's
    /// ordinal, its place in call order, its entry count), so that calls of one reply, started in reply order, keep their
    /// keys, tree order and loop counts however their threads are scheduled.
    /// </summary>
    internal void Reserve(ExecutedStep parent, StepDescriptor descriptor, Tools.ToolCall call)
    {
        lock (_gate)
        {
            call.Reserve(parent.NextChildOrdinal(descriptor.Name), ++_started, NextEntry(descriptor));
        }
    }

    /// <summary>Counts an entry of <paramref name="descriptor"/> in this run; the caller holds the lock.</summary>
    private int NextEntry(StepDescriptor descriptor)
    {
        if (_entries is null || _entries.Length <= descriptor.Id)
        {
            Array.Resize(ref _entries, Math.Max(descriptor.Id + 1, Math.Max(16, (_entries?.Length ?? 0) * 2)));
        }

        return ++_entries[descriptor.Id];
    }

    /// <summary>Keeps a finished step; returns whether it was the last one running in a runtime already disposed.</summary>
    internal bool Record(ExecutedStep step)
    {
        lock (_gate)
        {
            _executed.Add(step);
            step.Parent?.AddChild(step);
            return --_running == 0 && _disposed;
        }
    }

    /// <summary>Gets <paramref name="ambient"/>, or what was ambient before it, skipping runtimes that were disposed.</summary>
    private static object? NearestOpen(object? ambient)
    {
        while (RuntimeOf(ambient) is { _disposed: true } disposed)
        {
            ambient = disposed._previous;
        }

        return ambient;
    }

    private static Runtime? RuntimeOf(object? ambient) => ambient as Runtime ?? (ambient as ExecutedStep)?.Owner;
}
