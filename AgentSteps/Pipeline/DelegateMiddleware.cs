namespace AgentSteps.Pipeline;

/// <summary>Middleware written as a function, as <see cref="RuntimeOptions.Use(Func{StepContext, StepHandler, ValueTask{object}})"/> takes it.</summary>
internal sealed class DelegateMiddleware(Func<StepContext, StepHandler, ValueTask<object?>> middleware) : IStepMiddleware
{
    public ValueTask<object?> InvokeAsync(StepContext context, StepHandler next) => middleware(context, next);
}
