using System.ComponentModel;

namespace AgentSteps.Benchmarks;

/// <summary>A small answer, so that the tool call, not the parsing of a large reply, is what the tool benchmarks weigh.</summary>
public record Answer(string Text);

/// <summary>
/// One code step, and the same LLM step three ways: answering at once, offering the code step as a tool, and offering
/// an external function (<see cref="ToolCallBenchmarks.FunctionName"/>) as a tool.
/// </summary>
public abstract class ToolWorkflow
{
    [Step]
    [Description("Adds two numbers.")]
    public virtual int Add([Description("The first number.")] int a, [Description("The second number.")] int b) => a + b;

    [Step(Model = "fake")]
    [Description("Answer the question.")]
    public abstract Task<Answer> AnswerAsync(string question);

    [Step(Model = "fake", Tools = [nameof(Add)])]
    [Description("Answer the question.")]
    public abstract Task<Answer> AnswerWithStepToolAsync(string question);

    [Step(Model = "fake", Tools = [ToolCallBenchmarks.FunctionName])]
    [Description("Answer the question.")]
    public abstract Task<Answer> AnswerWithFunctionToolAsync(string question);
}
