namespace AgentSteps;

/// <summary>Configures AgentSteps in a dependency-injection container (<c>services.AddAgentSteps(options => ...)</c>).</summary>
public sealed class AgentStepsOptions
{
    /// <summary>Gets or sets the model of LLM steps whose <see cref="StepAttribute.Model"/> is not set.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? DefaultModel { get; set; }

    /// <summary>Gets or sets a model that replaces every LLM step's own model.</summary>
    /// <value>The default value is <see langword="null"/>: <c>AGENTSTEPS_MODEL</c> applies when <see cref="UseEnvironment"/> is on.</value>
    public string? ModelOverride { get; set; }

    /// <summary>Gets the model renames, as <see cref="RuntimeOptions.ModelAliases"/>.</summary>
    public IDictionary<string, string> ModelAliases { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets a value indicating whether logs receive prompt and reply text, as <see cref="RuntimeOptions.EnableSensitiveData"/>.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool EnableSensitiveData { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the environment supplies what the container does not: the
    /// OpenAI-compatible client from <c>OPENAI_API_KEY</c>/<c>OPENAI_BASE_URL</c> when no <c>IChatClient</c> is
    /// registered, and <c>AGENTSTEPS_MODEL</c>.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseEnvironment { get; set; } = true;
}
