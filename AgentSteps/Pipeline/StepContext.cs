using System.Collections.Concurrent;
using AgentSteps.Inspection;
using Castle.DynamicProxy;

namespace AgentSteps;

/// <summary>
/// One call of a step as it passes through the pipeline: the record being made of it, the runtime it runs in, what is
/// known about the step, its arguments, its cancellation token, and a bag for middleware state.
/// </summary>
public sealed class StepContext
{
    private readonly IInvocation? _invocation;
    private readonly object?[] _arguments;
    private readonly IInvocationProceedInfo? _proceed;
    private ConcurrentDictionary<string, object?>? _items;
    private CancellationTokenSource? _linked;
    private CancellationToken _adopted; // a token linked while the step had none of its own: taken as it is, no link made
    private List<CancellationTokenSource>? _earlierLinks;

    internal StepContext(StepDescriptor descriptor, IInvocation invocation, ExecutedStep step, bool mayAwaitBeforeBody, IInvocationProceedInfo? proceed = null)
    {
        Descriptor = descriptor;
        Step = step;
        _invocation = invocation;
        _arguments = invocation.Arguments;
        if (proceed is not null)
        {
            // A streaming step runs after the interceptor returned (when it is enumerated): the way to proceed was captured then.
            _proceed = proceed;
        }
        else if (mayAwaitBeforeBody && descriptor.Kind == StepKind.Code)
        {
            // Castle's Proceed only works during Intercept. The built-in stages reach the body before any await, but user
            // middleware may await first, so with middleware the way to proceed is captured now.
            _proceed = invocation.CaptureProceedInfo();
        }
    }

    /// <summary>Initializes the context of a model's call of an external tool, which no proxy intercepts.</summary>
    internal StepContext(StepDescriptor descriptor, object?[] arguments, ExecutedStep step, Tools.ToolCall toolCall, CancellationToken cancellationToken)
    {
        Descriptor = descriptor;
        Step = step;
        _arguments = arguments;
        ToolCall = toolCall;
        ToolCancellationToken = cancellationToken;
    }

    /// <summary>Gets the record of this call, which the runtime keeps in <see cref="Runtime.ExecutedSteps"/> when it ends.</summary>
    public ExecutedStep Step { get; }

    /// <summary>Gets the runtime the step runs in.</summary>
    public Runtime Runtime => Step.Owner;

    /// <summary>Gets what is known about the step: its name, workflow, method, kind, attribute, result type and output schema.</summary>
    public StepInfo Info => Descriptor.Info;

    /// <summary>Gets the call's arguments in parameter order, as passed (a <see cref="System.Threading.CancellationToken"/> parameter included).</summary>
    public IReadOnlyList<object?> Arguments => _arguments;

    /// <summary>Gets the token that cancels the step: its <see cref="System.Threading.CancellationToken"/> parameter, or none.</summary>
    /// <remarks>
    /// The built-in stages may link more to it (the run's cancellation, a time limit, a stream's consumer stopping): the
    /// token then cancels when any of them does.
    /// </remarks>
    public CancellationToken CancellationToken => _linked?.Token ?? (_adopted.CanBeCanceled ? _adopted : OwnToken);

    private CancellationToken OwnToken =>
        Descriptor.CancellationTokenIndex < 0 ? ToolCancellationToken : (CancellationToken)_arguments[Descriptor.CancellationTokenIndex]!;

    /// <summary>Gets a bag for state that middleware keeps for this call; created on first use.</summary>
    /// <remarks>
    /// Safe to use from several threads at once: middleware that hedges calls <c>next</c> in parallel with this one context.
    /// </remarks>
    public IDictionary<string, object?> Items
    {
        get
        {
            var items = Volatile.Read(ref _items);
            return items ?? Interlocked.CompareExchange(ref _items, new ConcurrentDictionary<string, object?>(StringComparer.Ordinal), null) ?? _items;
        }
    }

    internal StepDescriptor Descriptor { get; }

    internal object?[] ArgumentArray => _arguments;

    /// <summary>Gets where a streaming step's items go as they are produced, or <see langword="null"/> for any other step.</summary>
    internal Pipeline.IStreamSink? Sink { get; init; }

    /// <summary>Gets the workflow proxy the step was called on (for an LLM step, where its step tools are called), or <see langword="null"/> for an external tool.</summary>
    internal object? Proxy => _invocation?.Proxy;

    /// <summary>Gets the model's call this step runs for, when a model called it as a tool; <see langword="null"/> for a call from code.</summary>
    internal Tools.ToolCall? ToolCall { get; init; }

    /// <summary>Gets the token of the LLM step that called an external tool, which has no parameter of its own to carry one.</summary>
    private CancellationToken ToolCancellationToken { get; }

    /// <summary>
    /// Makes <see cref="CancellationToken"/> cancel when <paramref name="other"/> does too. Called by stages before the
    /// step's body or model call runs; <see cref="ReleaseCancellation"/> frees the links when the step ends.
    /// </summary>
    internal void LinkCancellation(CancellationToken other)
    {
        if (!other.CanBeCanceled)
        {
            return;
        }

        var current = CancellationToken;
        if (current == other)
        {
            return;
        }

        if (!current.CanBeCanceled)
        {
            // Nothing to combine with: the step takes the token as it is, so a step without a token of its own pays no link.
            _adopted = other;
            return;
        }

        var linked = current.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(current, other) : CancellationTokenSource.CreateLinkedTokenSource(other);
        if (_linked is not null)
        {
            (_earlierLinks ??= []).Add(_linked);
        }

        _linked = linked;
    }

    /// <summary>Frees the links <see cref="LinkCancellation"/> made; the step has ended.</summary>
    internal void ReleaseCancellation()
    {
        _linked?.Dispose();
        if (_earlierLinks is not null)
        {
            foreach (var link in _earlierLinks)
            {
                link.Dispose();
            }
        }
    }

    /// <summary>Runs a code step's own body and returns what it returned (a task for an async step).</summary>
    internal object? InvokeBody()
    {
        var invocation = _invocation!;
        if (_proceed is null)
        {
            invocation.Proceed();
            return invocation.ReturnValue;
        }

        // With middleware the body may run after the interceptor has returned (the middleware awaited first), and on
        // parallel branches (hedging). Castle's one invocation and its ReturnValue are then shared with the proxy, which
        // reads the call's own task from it: the body is called directly, not through the invocation.
        if (Descriptor.Body is { } body)
        {
            return body(invocation.Proxy, invocation.Arguments);
        }

        // A shape the direct call does not cover: a run and the read of what it returned go together. An async body holds
        // the lock only until its first await, when it returns its task.
        lock (_proceed)
        {
            _proceed.Invoke();
            return invocation.ReturnValue;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Descriptor.QualifiedName;
}
