using AgentSteps.Inspection;
using Castle.DynamicProxy;

namespace AgentSteps.Pipeline;

/// <summary>
/// The one interceptor of a workflow proxy: finds the step's precomputed descriptor and runs the call through the
/// ambient runtime's composed pipeline, adapting sync and async return shapes.
/// </summary>
internal sealed class StepInterceptor(WorkflowDescriptor workflow, Hosting.RunBinding? binding = null) : IInterceptor
{
    public void Intercept(IInvocation invocation)
    {
        var descriptor = workflow.Find(invocation.Method);
        if (descriptor is null)
        {
            invocation.Proceed();
            return;
        }

        var runtime = Runtime.CurrentOrNull;

        // A workflow from the container opens its own run when no runtime is open; one that was disposed (from another
        // flow, so it is still ambient in this one) is not open. Unbound workflows fail on it with ObjectDisposedException.
        if (binding is not null && (runtime is null || runtime.IsDisposed))
        {
            InterceptInOwnRun(invocation, descriptor, binding);
            return;
        }

        if (runtime is null)
        {
            throw new InvalidOperationException(
                $"Step '{descriptor.QualifiedName}' was called with no runtime open. Open one around the call: " +
                "'using var runtime = new Runtime();' (models from the environment), 'new Runtime(chatClient)' or 'new Runtime(options)'.");
        }

        if (descriptor.Shape is IStreamShape stream)
        {
            invocation.ReturnValue = CreateStream(stream, runtime, descriptor, invocation, binding: null);
            return;
        }

        invocation.ReturnValue = descriptor.Shape.Invoke(static s => Run(s.runtime, s.descriptor, s.invocation), (runtime, descriptor, invocation));
    }

    /// <summary>
    /// Returns a streaming step's stream: the step runs when it is enumerated, in the runtime that was open at the call
    /// (or, for a workflow from the container, in a run of its own that ends with the stream).
    /// </summary>
    private static object CreateStream(IStreamShape stream, Runtime? runtime, StepDescriptor descriptor, IInvocation invocation, Hosting.RunBinding? binding)
    {
        var proceed = descriptor.Kind == StepKind.Code ? invocation.CaptureProceedInfo() : null;
        return stream.CreateStream((sink, cancellationToken) =>
        {
            if (binding is null)
            {
                return RunStream(runtime!, descriptor, invocation, proceed, sink, cancellationToken);
            }

            var run = binding.OpenRun();
            var previous = Runtime.Ambient;
            Runtime.CurrentOrNull = run;
            try
            {
                return CompleteAsync(RunStream(run, descriptor, invocation, proceed, sink, cancellationToken), run, binding);
            }
            finally
            {
                Runtime.Ambient = previous;
            }
        });
    }

    private static ValueTask<object?> RunStream(
        Runtime runtime, StepDescriptor descriptor, IInvocation invocation, Castle.DynamicProxy.IInvocationProceedInfo? proceed, IStreamSink sink, CancellationToken cancellationToken)
    {
        var configuration = runtime.Configuration;
        var step = runtime.StartStep(descriptor, invocation.Arguments);
        var context = new StepContext(descriptor, invocation, step, configuration.MayAwaitBeforeBody, proceed) { Sink = sink };
        context.LinkCancellation(cancellationToken);
        return descriptor.Kind == StepKind.Code ? configuration.CodePipeline(context) : configuration.ModelPipeline(context);
    }

    private static ValueTask<object?> Run(Runtime runtime, StepDescriptor descriptor, IInvocation invocation)
    {
        var configuration = runtime.Configuration;

        // A model's tool call reaches here through the proxy, with the ordinal reserved for it in reply order.
        var toolCall = Tools.ToolCall.Take();
        var step = runtime.StartStep(descriptor, invocation.Arguments, toolCall);
        var context = new StepContext(descriptor, invocation, step, configuration.MayAwaitBeforeBody) { ToolCall = toolCall };
        return descriptor.Kind == StepKind.Code ? configuration.CodePipeline(context) : configuration.ModelPipeline(context);
    }

    private static void InterceptInOwnRun(IInvocation invocation, StepDescriptor descriptor, Hosting.RunBinding binding)
    {
        if (descriptor.Shape is IStreamShape stream)
        {
            invocation.ReturnValue = CreateStream(stream, runtime: null, descriptor, invocation, binding);
            return;
        }

        var run = binding.OpenRun();

        // Ambient only while the pipeline starts: the async flow it starts keeps it, the caller's context gets back what it had.
        var previous = Runtime.Ambient;
        Runtime.CurrentOrNull = run;
        try
        {
            invocation.ReturnValue = descriptor.Shape.Invoke(
                static s => CompleteAsync(Run(s.run, s.descriptor, s.invocation), s.run, s.binding), (run, descriptor, invocation, binding));
        }
        finally
        {
            Runtime.Ambient = previous;
        }
    }

    private static async ValueTask<object?> CompleteAsync(ValueTask<object?> pipeline, Runtime run, Hosting.RunBinding binding)
    {
        try
        {
            return await pipeline.ConfigureAwait(false);
        }
        finally
        {
            run.Complete();
            binding.Complete(run);
        }
    }
}
