using System.ClientModel;
using System.Runtime.CompilerServices;
using AgentSteps.Internal;
using AgentSteps.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace AgentSteps;

/// <summary>
/// Configures a <see cref="Runtime"/>: which client answers which model, model overrides and aliases, logging, the
/// middleware every step call runs through and the observers of every run.
/// </summary>
/// <remarks>
/// The first runtime built from an instance compiles it once into a shared configuration and freezes it: later changes
/// throw <see cref="InvalidOperationException"/>, as <c>JsonSerializerOptions</c> does. Build one instance at start-up
/// and open a <see cref="Runtime"/> from it per request or job; that costs no client or pipeline rebuild.
/// </remarks>
public sealed class RuntimeOptions
{
    /// <summary>The environment variable holding the API key of the OpenAI-compatible endpoint.</summary>
    public const string ApiKeyVariable = "OPENAI_API_KEY";

    /// <summary>The environment variable holding the base URL of an OpenAI-compatible endpoint (Azure OpenAI v1, Ollama, vLLM, LM Studio, LiteLLM...).</summary>
    public const string BaseUrlVariable = "OPENAI_BASE_URL";

    /// <summary>The environment variable whose model replaces every step's model.</summary>
    public const string ModelOverrideVariable = "AGENTSTEPS_MODEL";

    /// <summary>The environment variable holding <see cref="HttpTimeout"/> in seconds, such as <c>30</c> or <c>2.5</c>.</summary>
    public const string HttpTimeoutVariable = "AGENTSTEPS_HTTP_TIMEOUT";

    /// <summary>The environment variable holding <see cref="HttpRetries"/>, such as <c>0</c> for none.</summary>
    public const string HttpRetriesVariable = "AGENTSTEPS_HTTP_RETRIES";

    /// <summary>The network timeout of one HTTP try of the OpenAI-compatible client when <see cref="HttpTimeout"/> is not set (the OpenAI client's own).</summary>
    public static readonly TimeSpan DefaultHttpTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The number of HTTP retries of the OpenAI-compatible client when <see cref="HttpRetries"/> is not set (the OpenAI client's own).</summary>
    public const int DefaultHttpRetries = 3;

    private readonly Freezable _state = new(nameof(RuntimeOptions));
    private IChatClient? _chatClient;
    private string? _modelOverride;
    private string? _defaultModel;
    private Action<string>? _log;
    private ILogger? _logger;
    private bool _enableSensitiveData;
    private TimeProvider _timeProvider = TimeProvider.System;
    private Func<ToolApprovalRequestContent, CancellationToken, ValueTask<bool>>? _approvalHandler;
    private RunBudget? _budget;
    private int? _maxConcurrentModelCalls;
    private IRunJournal? _journal;
    private string? _runId;
    private RuntimeConfiguration? _configuration;
    private CancellationToken _cancellationToken;
    private TimeSpan? _httpTimeout;
    private int? _httpRetries;
    private EnvironmentClient? _environmentClient; // the client FromEnvironment made, and what it was made with

    /// <summary>Initializes a new instance of the <see cref="RuntimeOptions"/> class.</summary>
    public RuntimeOptions()
    {
        ModelClients = new FreezableDictionary<string, IChatClient>(_state, nameof(ModelClients), StringComparer.Ordinal);
        ModelAliases = new FreezableDictionary<string, string>(_state, nameof(ModelAliases), StringComparer.Ordinal);
        Middleware = new FreezableList<IStepMiddleware>(_state, nameof(Middleware));
        Observers = new FreezableList<IRunObserver>(_state, nameof(Observers));
        Tools = new FreezableList<AITool>(_state, nameof(Tools));
        Prices = new FreezableDictionary<string, ModelPrice>(_state, nameof(Prices), StringComparer.Ordinal);
        Trace = new StepTraceOptions(_state);
    }

    /// <summary>Gets or sets the client that answers every model without its own entry in <see cref="ModelClients"/>.</summary>
    /// <value>The default value is <see langword="null"/>: only the models in <see cref="ModelClients"/> can be called.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime (see <see cref="IsReadOnly"/>).</exception>
    public IChatClient? ChatClient
    {
        get => _chatClient;
        set => Set(ref _chatClient, value);
    }

    /// <summary>Gets the clients for particular models, keyed by model name (after <see cref="ModelAliases"/> apply).</summary>
    public IDictionary<string, IChatClient> ModelClients { get; }

    /// <summary>
    /// Gets the model renames: a step written for the key's model calls the value's model instead, so that a workflow
    /// written for <c>gpt-4o-mini</c> runs on, say, a local <c>llama3.2</c> without code changes.
    /// </summary>
    public IDictionary<string, string> ModelAliases { get; }

    /// <summary>Gets or sets a model that replaces every LLM step's own model, as <c>AGENTSTEPS_MODEL</c> does.</summary>
    /// <value>The default value is <see langword="null"/>: each step's <see cref="StepAttribute.Model"/> applies.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public string? ModelOverride
    {
        get => _modelOverride;
        set => Set(ref _modelOverride, value);
    }

    /// <summary>Gets or sets the model of LLM steps whose <see cref="StepAttribute.Model"/> is not set.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public string? DefaultModel
    {
        get => _defaultModel;
        set => Set(ref _defaultModel, value);
    }

    /// <summary>Gets or sets a function that receives one line per model call, reply and retry (the Python library's <c>logging_fn</c>).</summary>
    /// <value>The default value is <see langword="null"/>: no lines are written.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public Action<string>? Log
    {
        get => _log;
        set => Set(ref _log, value);
    }

    /// <summary>Gets or sets a logger that receives model calls, replies, retries and steps as structured events.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public ILogger? Logger
    {
        get => _logger;
        set => Set(ref _logger, value);
    }

    /// <summary>
    /// Gets or sets a value indicating whether <see cref="Logger"/> receives prompt and reply text. Without it, the logger
    /// gets their lengths only; <see cref="Log"/>, a developer's debugging hook, always gets the text.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public bool EnableSensitiveData
    {
        get => _enableSensitiveData;
        set => Set(ref _enableSensitiveData, value);
    }

    /// <summary>Gets or sets the clock of every timestamp and duration in the trace, as dotnet/extensions and Polly take one.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => Set(ref _timeProvider, Throw.IfNull(value));
    }

    /// <summary>
    /// Gets or sets a token that cancels every run built from these options: the steps running then (their model calls,
    /// tools and child steps, with or without a <see cref="System.Threading.CancellationToken"/> parameter) are cancelled,
    /// and every step called afterwards throws <see cref="OperationCanceledException"/> before its body or model call.
    /// <see cref="Runtime.Cancel"/> cancels one run.
    /// </summary>
    /// <value>The default value is <see cref="CancellationToken.None"/>.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public CancellationToken CancellationToken
    {
        get => _cancellationToken;
        set => Set(ref _cancellationToken, value);
    }

    /// <summary>
    /// Gets or sets the network timeout of one HTTP try of the OpenAI-compatible client that <see cref="FromEnvironment()"/>
    /// builds (<c>AGENTSTEPS_HTTP_TIMEOUT</c> sets it there). It also bounds the wait a server asks for with
    /// <c>retry-after</c> or <c>retry-after-ms</c> before a retry. A client passed in <see cref="ChatClient"/> keeps its
    /// own; build one with these settings with <see cref="CreateOpenAIClient(string?, string?, TimeSpan?, int?)"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: <see cref="DefaultHttpTimeout"/> (100 seconds).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public TimeSpan? HttpTimeout
    {
        get => _httpTimeout;
        set => Set(ref _httpTimeout, CheckHttpTimeout(value));
    }

    /// <summary>
    /// Gets or sets how many times the OpenAI-compatible client that <see cref="FromEnvironment()"/> builds retries a
    /// request after HTTP 408, 429 or 5xx, or a network failure (<c>AGENTSTEPS_HTTP_RETRIES</c> sets it there). A client
    /// passed in <see cref="ChatClient"/> keeps its own.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: <see cref="DefaultHttpRetries"/> (3).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public int? HttpRetries
    {
        get => _httpRetries;
        set => Set(ref _httpRetries, value is { } retries ? Throw.IfLessThan(retries, 0, nameof(value)) : null);
    }

    /// <summary>
    /// Gets or sets how many model calls may be in flight at once across every <see cref="Runtime"/> built from these
    /// options (provider rate limits are per key, not per run). A call over the limit waits for a slot, honouring its
    /// step's cancellation; a streaming call holds its slot until the stream ends. The time a step waited is its
    /// <see cref="ExecutedStep.ModelWaitTime"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit. Zero means no limit too.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public int? MaxConcurrentModelCalls
    {
        get => _maxConcurrentModelCalls;
        set
        {
            if (value is { } limit)
            {
                if (limit < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(MaxConcurrentModelCalls), limit, "RuntimeOptions.MaxConcurrentModelCalls must be zero or more; null or zero means no limit.");
                }
            }

            Set(ref _maxConcurrentModelCalls, value);
        }
    }

    /// <summary>The longest <see cref="RunId"/> accepted, in characters.</summary>
    public const int MaxRunIdLength = 200;

    /// <summary>
    /// Gets or sets the journal that keeps the runs of these options: each finished step is committed under its key before
    /// its caller goes on, and a runtime opened with the <see cref="RunId"/> of a journaled run replays the committed steps
    /// instead of running them again (see docs/durable.md).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: nothing is journaled, and the runtime pays nothing for the feature.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime (see <see cref="IsReadOnly"/>).</exception>
    public IRunJournal? Journal
    {
        get => _journal;
        set => Set(ref _journal, value);
    }

    /// <summary>
    /// Gets or sets the id of the run that runtimes built from these options open (<see cref="Runtime.RunId"/>). With a
    /// <see cref="Journal"/> that holds a run of this id, the runtime resumes it.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: each runtime gets a new id (a GUID, 32 hex digits).</value>
    /// <exception cref="ArgumentException">The id is empty or white space, longer than <see cref="MaxRunIdLength"/>, or holds control characters.</exception>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime (see <see cref="IsReadOnly"/>).</exception>
    public string? RunId
    {
        get => _runId;
        set
        {
            if (value is not null)
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    throw new ArgumentException("RuntimeOptions.RunId must not be empty or white space; set null for a new id per run.", nameof(RunId));
                }

                if (value.Length > MaxRunIdLength)
                {
                    throw new ArgumentException($"RuntimeOptions.RunId is {value.Length} characters long; at most {MaxRunIdLength} are allowed.", nameof(RunId));
                }

                if (value.Any(char.IsControl))
                {
                    throw new ArgumentException("RuntimeOptions.RunId must not contain control characters.", nameof(RunId));
                }
            }

            Set(ref _runId, value);
        }
    }

    /// <summary>
    /// Gets the user middleware every step call runs through, in order, after the built-in record, telemetry and loop-guard
    /// stages and before the step's body or model call. <see cref="Use(IStepMiddleware)"/> adds to it.
    /// </summary>
    public IList<IStepMiddleware> Middleware { get; }

    /// <summary>
    /// Gets the caps on what the trace keeps of each argument and result (depth, items, characters), which keep
    /// <see cref="Runtime.ToJson(bool)"/> and <see cref="ExecutedStep.Arguments"/> bounded. They freeze with these options.
    /// </summary>
    public StepTraceOptions Trace { get; }

    /// <summary>Gets the observers told of every step's start and end and of the run's end, in the order added.</summary>
    public IList<IRunObserver> Observers { get; }

    /// <summary>
    /// Gets the tools that LLM steps may offer the model by name (<see cref="StepAttribute.Tools"/>), besides the steps of
    /// their own workflow: any Microsoft.Extensions.AI <see cref="AIFunction"/>, such as one made with
    /// <c>AIFunctionFactory.Create(...)</c> or listed from an MCP server with the ModelContextProtocol client. Each call
    /// the model makes runs as a recorded child step of the LLM step (<see cref="StepKind.Tool"/>). A function wrapped in
    /// <see cref="ApprovalRequiredAIFunction"/> is approved through <see cref="ApprovalHandler"/> before it runs.
    /// </summary>
    public IList<AITool> Tools { get; }

    /// <summary>
    /// Gets or sets the function asked before a tool call that needs approval runs: a step tool with
    /// <see cref="StepAttribute.RequiresApproval"/>, or an <see cref="ApprovalRequiredAIFunction"/>. It receives the call
    /// (tool name and arguments, in <see cref="ToolApprovalRequestContent.ToolCall"/>) and returns whether it may run; a
    /// denial goes back to the model as the call's result and is recorded as a <see cref="ToolCallDeniedException"/>.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: a call that needs approval fails its LLM step with an
    /// <see cref="InvalidOperationException"/> naming this option. An exception the handler throws fails the step too.
    /// </value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public Func<ToolApprovalRequestContent, CancellationToken, ValueTask<bool>>? ApprovalHandler
    {
        get => _approvalHandler;
        set => Set(ref _approvalHandler, value);
    }

    /// <summary>
    /// Gets or sets the limits on what each run built from these options may spend on models: calls, tokens and cost. A
    /// model call is not made once a limit is reached; the LLM step that would have made it fails with
    /// <see cref="BudgetExceededException"/>. Each run counts its own usage (<see cref="Runtime.Usage"/>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit. <see cref="StepAttribute"/> sets limits for a step's subtree.</value>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public RunBudget? Budget
    {
        get => _budget;
        set => Set(ref _budget, value);
    }

    /// <summary>
    /// Gets the price of each model's tokens, keyed by the model name a step calls (after <see cref="ModelOverride"/> and
    /// <see cref="ModelAliases"/>), from which <see cref="ExecutedStep.Cost"/> and <see cref="RunUsage.Cost"/> are computed.
    /// A model without an entry has no cost: <see cref="RunUsage.ModelsWithoutPrice"/> lists it, never a silent zero.
    /// </summary>
    public IDictionary<string, ModelPrice> Prices { get; }

    /// <summary>
    /// Gets a value indicating whether the options are in use by a runtime and can no longer change. The first
    /// <see cref="Runtime"/> built from them compiles them once (clients, pipeline) and freezes them, so that every later
    /// runtime from the same options costs no rebuild.
    /// </summary>
    public bool IsReadOnly => _state.IsFrozen;

    /// <summary>Adds middleware to the pipeline of every step call (see <see cref="IStepMiddleware"/>).</summary>
    /// <param name="middleware">The middleware.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="middleware"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public RuntimeOptions Use(IStepMiddleware middleware)
    {
        Middleware.Add(Throw.IfNull(middleware));
        return this;
    }

    /// <summary>
    /// Adds middleware written as a function of the call and the rest of the pipeline:
    /// <c>options.Use(async (context, next) =&gt; { ...; return await next(context); })</c>.
    /// </summary>
    /// <param name="middleware">The function; it may call <c>next</c> zero, one or several times.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="middleware"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The options are in use by a runtime.</exception>
    public RuntimeOptions Use(Func<StepContext, StepHandler, ValueTask<object?>> middleware) =>
        Use(new DelegateMiddleware(Throw.IfNull(middleware)));

    /// <summary>Compiles the options once, on first use, and freezes them.</summary>
    internal RuntimeConfiguration Compile()
    {
        var configuration = Volatile.Read(ref _configuration);
        if (configuration is not null)
        {
            return configuration;
        }

        lock (_state)
        {
            if (_configuration is null)
            {
                _state.Freeze();
                Volatile.Write(ref _configuration, new RuntimeConfiguration(this));
            }

            return _configuration!;
        }
    }

    /// <summary>
    /// Gets the client the runs use: the one <see cref="FromEnvironment()"/> made is made again when <see cref="HttpTimeout"/>
    /// or <see cref="HttpRetries"/> changed after it. Called once, as the options compile.
    /// </summary>
    internal IChatClient? ResolveChatClient()
    {
        if (_environmentClient is { } made && ReferenceEquals(made.Client, _chatClient) && (made.Timeout != _httpTimeout || made.Retries != _httpRetries))
        {
            _chatClient = CreateOpenAIClient(made.ApiKey, made.BaseUrl, _httpTimeout, _httpRetries);
        }

        return _chatClient;
    }

    private static TimeSpan? CheckHttpTimeout(TimeSpan? value, [CallerArgumentExpression(nameof(value))] string? paramName = null) =>
        value is { } timeout && timeout <= TimeSpan.Zero
            ? throw new ArgumentOutOfRangeException(paramName, timeout, "HttpTimeout must be longer than zero, or null for the client's default.")
            : value;

    private void Set<T>(ref T field, T value, [CallerMemberName] string member = "")
    {
        _state.ThrowIfFrozen(member);
        field = value;
    }

    /// <summary>
    /// Creates options from the environment: an OpenAI-compatible client when <c>OPENAI_API_KEY</c> or
    /// <c>OPENAI_BASE_URL</c> is set (the base URL alone suffices for keyless local servers), with its network timeout
    /// and retries from <c>AGENTSTEPS_HTTP_TIMEOUT</c> (seconds) and <c>AGENTSTEPS_HTTP_RETRIES</c>, and
    /// <see cref="ModelOverride"/> from <c>AGENTSTEPS_MODEL</c>. Setting <see cref="HttpTimeout"/> or
    /// <see cref="HttpRetries"/> on the options afterwards applies to that client too.
    /// </summary>
    /// <returns>The options; their <see cref="ChatClient"/> is <see langword="null"/> when neither variable is set.</returns>
    /// <exception cref="InvalidOperationException">
    /// <c>OPENAI_BASE_URL</c> is not an absolute http or https URL, <c>AGENTSTEPS_HTTP_TIMEOUT</c> is not a number of
    /// seconds above zero, or <c>AGENTSTEPS_HTTP_RETRIES</c> is not a whole number, zero or more.
    /// </exception>
    public static RuntimeOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    internal static RuntimeOptions FromEnvironment(Func<string, string?> variable)
    {
        var options = new RuntimeOptions();
        var apiKey = NullIfEmpty(variable(ApiKeyVariable));
        var baseUrl = NullIfEmpty(variable(BaseUrlVariable));
        options.ModelOverride = NullIfEmpty(variable(ModelOverrideVariable));
        if (NullIfEmpty(variable(HttpTimeoutVariable)) is { } timeout)
        {
            options.HttpTimeout = double.TryParse(timeout, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                && seconds > 0 && seconds <= int.MaxValue / 1000
                ? TimeSpan.FromSeconds(seconds)
                : throw new InvalidOperationException($"{HttpTimeoutVariable} is '{timeout}', which is not a number of seconds above zero. Set it to the network timeout in seconds, such as 30.");
        }

        if (NullIfEmpty(variable(HttpRetriesVariable)) is { } retries)
        {
            options.HttpRetries = int.TryParse(retries, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
                ? count
                : throw new InvalidOperationException($"{HttpRetriesVariable} is '{retries}', which is not a whole number, zero or more. Set it to the number of HTTP retries, such as 0 for none.");
        }

        if (apiKey is not null || baseUrl is not null)
        {
            options.ChatClient = CreateOpenAIClient(apiKey, baseUrl, options.HttpTimeout, options.HttpRetries);
            options._environmentClient = new EnvironmentClient(apiKey, baseUrl, options.HttpTimeout, options.HttpRetries, options.ChatClient);
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
    public static IChatClient CreateOpenAIClient(string? apiKey, string? baseUrl) => CreateOpenAIClient(apiKey, baseUrl, httpTimeout: null, httpRetries: null);

    /// <summary>
    /// Creates a client for an OpenAI-compatible endpoint that serves every model by name (the step's model goes into
    /// each request), with a network timeout and a number of retries.
    /// </summary>
    /// <param name="apiKey">The API key, or <see langword="null"/> for a keyless local server.</param>
    /// <param name="baseUrl">The endpoint's base URL, or <see langword="null"/> for OpenAI itself.</param>
    /// <param name="httpTimeout">
    /// The network timeout of one HTTP try, which also bounds the wait a server asks for with <c>retry-after</c> or
    /// <c>retry-after-ms</c>; <see langword="null"/> for <see cref="DefaultHttpTimeout"/>.
    /// </param>
    /// <param name="httpRetries">
    /// How many times a request is retried after HTTP 408, 429 or 5xx or a network failure; <see langword="null"/> for
    /// <see cref="DefaultHttpRetries"/>.
    /// </param>
    /// <returns>The client.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="baseUrl"/> is not an absolute http or https URL.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="httpTimeout"/> is zero or negative, or <paramref name="httpRetries"/> is negative.
    /// </exception>
    public static IChatClient CreateOpenAIClient(string? apiKey, string? baseUrl, TimeSpan? httpTimeout, int? httpRetries)
    {
        CheckHttpTimeout(httpTimeout);
        var timeout = httpTimeout ?? DefaultHttpTimeout;
        var clientOptions = new OpenAIClientOptions
        {
            Transport = SharedTransport.Value,
            NetworkTimeout = timeout,
            RetryPolicy = new HttpRetryPolicy(httpRetries is { } retries ? Throw.IfLessThan(retries, 0) : DefaultHttpRetries, maxDelay: timeout),
        };
        clientOptions.AddPolicy(RetryReportingPolicy.Instance, System.ClientModel.Primitives.PipelinePosition.PerTry);
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

    /// <summary>
    /// The HTTP transport of every client <see cref="CreateOpenAIClient(string?, string?, TimeSpan?, int?)"/> builds: one
    /// connection pool per process. A stream the caller stops reading closes its connection at once, rather than being
    /// read out first (.NET's default drains up to 1 MB for up to 2 s, while the model goes on writing); the network
    /// timeout is the client pipeline's.
    /// </summary>
    private static readonly Lazy<System.ClientModel.Primitives.HttpClientPipelineTransport> SharedTransport = new(() =>
        new System.ClientModel.Primitives.HttpClientPipelineTransport(new HttpClient(new SocketsHttpHandler
        {
            MaxResponseDrainSize = 0,
            ResponseDrainTimeout = TimeSpan.Zero,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        }));

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private sealed record EnvironmentClient(string? ApiKey, string? BaseUrl, TimeSpan? Timeout, int? Retries, IChatClient? Client);
}
