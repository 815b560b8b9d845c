using AgentSteps.Inspection;
using Castle.DynamicProxy;

namespace AgentSteps.Pipeline;

/// <summary>One call of a step as it passes through the pipeline.</summary>
internal sealed class StepInvocation
{
    private readonly IInvocation _invocation;
    private readonly IInvocationProceedInfo? _proceed;
    private readonly IStepStage[] _pipeline;
    private int _next;

    public StepInvocation(Runtime runtime, StepDescriptor descriptor, IInvocation invocation)
    {
        Runtime = runtime;
        Descriptor = descriptor;
        _invocation = invocation;
        Arguments = invocation.Arguments;
        if (descriptor.Kind == StepKind.Code)
        {
            // Captured now: a stage may await before the body runs, and Castle's Proceed only works during Intercept.
            _proceed = invocation.CaptureProceedInfo();
            _pipeline = runtime.CodePipeline;
        }
        else
        {
            _pipeline = runtime.ModelPipeline;
        }
    }

    public Runtime Runtime { get; }

    public StepDescriptor Descriptor { get; }

    public object?[] Arguments { get; }

    /// <summary>Gets or sets the record of this call; set by the record stage, the pipeline's first.</summary>
    public ExecutedStep Step { get; set; } = null!;

    public CancellationToken CancellationToken =>
        Descriptor.CancellationTokenIndex < 0 ? default : (CancellationToken)Arguments[Descriptor.CancellationTokenIndex]!;

    /// <summary>Runs the rest of the pipeline.</summary>
    public ValueTask<object?> NextAsync() => _pipeline[_next++].InvokeAsync(this);

    /// <summary>Runs a code step's own body and returns what it returned (a task for an async step).</summary>
    public object? InvokeBody()
    {
        _proceed!.Invoke();
        return _invocation.ReturnValue;
    }
}
