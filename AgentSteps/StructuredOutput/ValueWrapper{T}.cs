using Newtonsoft.Json;

namespace AgentSteps.StructuredOutput;

/// <summary>
/// Wraps a primitive, enum or collection result in an object, since structured output needs an object at the root.
/// </summary>
/// <typeparam name="T">The step's result type.</typeparam>
internal sealed class ValueWrapper<T>
{
    [JsonProperty("value")]
    public T Value { get; set; } = default!;
}
