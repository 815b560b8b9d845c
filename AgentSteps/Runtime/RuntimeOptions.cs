using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace AgentSteps;

/// <summary>
/// Configures a <see cref="Runtime"/>: which client answers which model, model overrides and aliases, and logging.
/// </summary>
public sealed class RuntimeOptions
{
    /// <summary>The environment variable holding the API key of the OpenAI-compatible endpoint.</summary>
    public const string ApiKeyVariable = "OPENAI_API_KEY";

    /// <summary>The environment variable holding the base URL of an OpenAI-compatible endpoint (Azure OpenAI v1, Ollama, vLLM, LM Studio, LiteLLM...).</summary>
    public const string BaseUrlVariable = "OPENAI_BASE_URL";

    /// <summary>The environment variable whose model replaces every step's model.</summary>
    public const string ModelOverrideVariable = "AGENTSTEPS_MODEL";

    /// <summary>Gets or sets the client that answers every model without its own entry in <see cref="ModelClients"/>.</summary>
    /// <value>The default value is <see langword="null"/>: only the models in <see cref="ModelClients"/> can be called.</value>
    public IChatClient? ChatClient { get; set; }

    /// <summary>Gets the clients for particular models, keyed by model name (after <see cref="ModelAliases"/> apply).</summary>
    public IDictionary<string, IChatClient> ModelClients { get; } = new Dictionary<string, IChatClient>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the model renames: a step written for the key's model calls the value's model instead, so that a workflow
    /// written for <c>gpt-4o-mini</c> runs on, say, a local <c>llama3.2</c> without code changes.
    /// </summary>
    public IDictionary<string, string> ModelAliases { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets a model that replaces every LLM step's own model, as <c>AGENTSTEPS_MODEL</c> does.</summary>
    /// <value>The default value is <see langword="null"/>: each step's <see cref="StepAttribute.Model"/> applies.</value>
    public string? ModelOverride { get; set; }

    /// <summary>Gets or sets the model of LLM steps whose <see cref="StepAttribute.Model"/> is not set.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? DefaultModel { get; set; }

    /// <summary>Gets or sets a function that receives one line per model call, reply and retry (the Python library's <c>logging_fn</c>).</summary>
    /// <value>The default value is <see langword="null"/>: no lines are written.</value>
    public Action<string>? Log { get; set; }

    /// <summary>Gets or sets a logger that receives model calls, replies and retries as structured events.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether <see cref="Logger"/> receives prompt and reply text. Without it, the logger
    /// gets their lengths only; <see cref="Log"/>, a developer's debugging hook, always gets the text.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool EnableSensitiveData { get; set; }

    /// <summary>Gets or sets a lookup of per-model clients consulted after <see cref="ModelClients"/> (keyed services in DI).</summary>
    internal Func<string, IChatClient?>? ModelClientLookup { get; set; }

    /// <summary>Gets the stages run between recording and the loop guard; for tests of the pipeline.</summary>
    internal List<Pipeline.IStepStage> ExtraStages { get; } = [];

    /// <summary>
    /// Creates options from the environment: an OpenAI-compatible client when <c>OPENAI_API_KEY</c> or
    /// <c>OPENAI_BASE_URL</c> is set (the base URL alone suffices for keyless local servers), and
    /// <see cref="ModelOverride"/> from <c>AGENTSTEPS_MODEL</c>.
    /// </summary>
    /// <returns>The options; their <see cref="ChatClient"/> is <see langword="null"/> when neither variable is set.</returns>
    /// <exception cref="InvalidOperationException"><c>OPENAI_BASE_URL</c> is not an absolute http or https URL.</exception>
    public static RuntimeOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    internal static RuntimeOptions FromEnvironment(Func<string, string?> variable)
    {
        var options = new RuntimeOptions();
        var apiKey = NullIfEmpty(variable(ApiKeyVariable));
        var baseUrl = NullIfEmpty(variable(BaseUrlVariable));
        options.ModelOverride = NullIfEmpty(variable(ModelOverrideVariable));
        if (apiKey is not null || baseUrl is not null)
        {
            options.ChatClient = CreateOpenAIClient(apiKey, baseUrl);
        }

        return options;
    }

    /// <summary>
    /// Creates a client for an OpenAI-compatible endpoint that serves every model by name (the step's model goes into
    /// each request).
    /// </summary>
    /// <param name="apiKey">The API key, or <see langword="null"/> for a keyless local server.</param>
    /// <param name="baseUrl">The endpoint's base URL, or <see langword="null"/> for OpenAI itself.</param>
    /// <returns>The client.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="baseUrl"/> is not an absolute http or https URL.</exception>
    public static IChatClient CreateOpenAIClient(string? apiKey, string? baseUrl)
    {
        var clientOptions = new OpenAIClientOptions();
        if (baseUrl is not null)
        {
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                // The URL may carry a key (user:key@host, ?api-key=...): the message shows it redacted.
                throw new InvalidOperationException(
                    $"{BaseUrlVariable} is '{Internal.Redaction.RedactUrl(baseUrl)}', which is not an absolute http or https URL. Set it to the endpoint's base URL, such as http://localhost:11434/v1.");
            }

            clientOptions.Endpoint = endpoint;
        }

        // Provider errors that echo the key are redacted wherever AgentSteps reports them.
        Internal.Redaction.Register(apiKey);
        clientOptions.AddPolicy(ProviderErrorPolicy.Instance, System.ClientModel.Primitives.PipelinePosition.PerCall);

        // Keyless local servers ignore the key, but the OpenAI client requires one.
        var client = new OpenAIClient(new ApiKeyCredential(apiKey ?? "no-key"), clientOptions);

        // Model calls report OpenTelemetry GenAI spans and metrics when something listens (AddAgentStepsInstrumentation).
        return new OpenAIModelRouter(client).AsBuilder().UseOpenTelemetry().Build();
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
