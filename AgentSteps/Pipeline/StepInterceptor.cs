using AgentSteps.Inspection;
using Castle.DynamicProxy;

namespace AgentSteps.Pipeline;

/// <summary>
/// The one interceptor of a workflow proxy: finds the step's precomputed descriptor and runs the call through the
/// ambient runtime's pipeline, adapting sync and async return shapes.
/// </summary>
internal sealed class StepInterceptor(WorkflowDescriptor workflow) : IInterceptor
{
    public void Intercept(IInvocation invocation)
    {
        var descriptor = workflow.Find(invocation.Method);
        if (descriptor is null)
        {
            invocation.Proceed();
            return;
        }

        var runtime = Runtime.Current ?? throw new InvalidOperationException(
            $"Step '{descriptor.QualifiedName}' was called with no runtime open. Open one around the call: " +
            "'using var runtime = new Runtime();' (models from the environment), 'new Runtime(chatClient)' or 'new Runtime(options)'.");

        var call = new StepInvocation(runtime, descriptor, invocation);
        invocation.ReturnValue = descriptor.Shape.ToReturnValue(call.NextAsync());
    }
}
