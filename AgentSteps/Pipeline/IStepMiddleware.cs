namespace AgentSteps;

/// <summary>
/// One job in the pipeline every step call runs through, as ASP.NET Core middleware and Polly strategies are: it receives
/// the call and the rest of the pipeline, and may call <c>next</c> zero times (short-circuit with its own result), once,
/// or several times (retry, hedging, fallback).
/// </summary>
/// <remarks>
/// User middleware runs after the built-in record, telemetry and loop-guard stages, so whatever it does, the step is
/// recorded once and counted once against its <see cref="StepAttribute.MaxLoops"/>. Register it with
/// <see cref="RuntimeOptions.Use(IStepMiddleware)"/>. The pipeline is composed once per <see cref="RuntimeOptions"/>, so
/// one instance serves every call of every run: keep per-call state in <see cref="StepContext.Items"/>.
/// </remarks>
public interface IStepMiddleware
{
    /// <summary>Handles one step call.</summary>
    /// <param name="context">The call: the step's record, its description, its arguments and a bag for middleware state.</param>
    /// <param name="next">The rest of the pipeline.</param>
    /// <returns>The step's result; for a step returning <c>T</c> or <c>Task&lt;T&gt;</c>, a <c>T</c> (or <see langword="null"/>).</returns>
    ValueTask<object?> InvokeAsync(StepContext context, StepHandler next);
}
