namespace AgentSteps;

/// <summary>Says how a step is implemented.</summary>
public enum StepKind
{
    /// <summary>A virtual method whose body runs inside the runtime.</summary>
    Code,

    /// <summary>An abstract method that a model implements.</summary>
    Llm,

    /// <summary>A tool from <see cref="RuntimeOptions.Tools"/> (any Microsoft.Extensions.AI function) that a model called.</summary>
    Tool,
}
