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

    /// <summary>
    /// Gets the tools LLM steps may offer by name besides their workflow's steps, as <see cref="RuntimeOptions.Tools"/>;
    /// tools registered with <c>AddTool</c> join them.
    /// </summary>
    public IList<Microsoft.Extensions.AI.AITool> Tools { get; } = new List<Microsoft.Extensions.AI.AITool>();

    /// <summary>Gets or sets the function asked before a tool call that needs approval runs, as <see cref="RuntimeOptions.ApprovalHandler"/>.</summary>
    /// <value>The default value is <see langword="null"/>: a call that needs approval fails its LLM step.</value>
    public Func<Microsoft.Extensions.AI.ToolApprovalRequestContent, CancellationToken, ValueTask<bool>>? ApprovalHandler { get; set; }

    /// <summary>
    /// Gets or sets how many model calls may be in flight at once across every run of the container, as
    /// <see cref="RuntimeOptions.MaxConcurrentModelCalls"/>; a negative value fails when the first run is built.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    public int? MaxConcurrentModelCalls { get; set; }

    /// <summary>Gets or sets the budget of each run of the container's workflows, as <see cref="RuntimeOptions.Budget"/>.</summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    public RunBudget? Budget { get; set; }

    /// <summary>Gets the prices of models by name, as <see cref="RuntimeOptions.Prices"/>, for <see cref="ExecutedStep.Cost"/> and budgets.</summary>
    public IDictionary<string, ModelPrice> Prices { get; } = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
}
