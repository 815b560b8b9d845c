using AgentSteps.Internal;

namespace AgentSteps;

/// <summary>
/// Gives an LLM step its user prompt as a template whose placeholders name the method's parameters,
/// such as <c>[Prompt("Create a recipe for {query}")]</c>. Write <c>{{</c> and <c>}}</c> for literal braces.
/// Without it, the arguments themselves are the prompt.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class PromptAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="PromptAttribute"/> class.</summary>
    /// <param name="template">The prompt template; each <c>{name}</c> is replaced by that argument.</param>
    /// <exception cref="ArgumentException"><paramref name="template"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> is <see langword="null"/>.</exception>
    public PromptAttribute(string template)
    {
        Template = Throw.IfNullOrWhitespace(template);
    }

    /// <summary>Gets the prompt template.</summary>
    public string Template { get; }
}
