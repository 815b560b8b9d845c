using System.Runtime.CompilerServices;
using AgentSteps.Diagnostics;
using AgentSteps.Inspection;
using AgentSteps.Internal;
using AgentSteps.Pipeline;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// <see cref="RuntimeOptions"/> compiled once: the model clients, the composed pipelines, the log, the clock and the
/// observers. Every <see cref="Runtime"/> built from the same options shares one, so opening a run costs no rebuild.
/// </summary>
internal sealed class RuntimeConfiguration
{
    private static readonly ConditionalWeakTable<IChatClient, RuntimeConfiguration> s_byClient = [];
    private static readonly Lock s_environmentGate = new();
    private static (string? ApiKey, string? BaseUrl, string? Model, string? HttpTimeout, string? HttpRetries) s_environmentKey;
    private static RuntimeConfiguration? s_environment;

    private readonly IChatClient? _chatClient;
    private readonly Dictionary<string, IChatClient>? _modelClients;
    private readonly Dictionary<string, string>? _modelAliases;
    private readonly string? _modelOverride;
    private readonly string? _defaultModel;
    private readonly Dictionary<string, ModelPrice>? _prices;
    private System.Collections.Concurrent.ConcurrentDictionary<string, byte>? _noSystemPrompt;
    private System.Collections.Concurrent.ConcurrentDictionary<StepDescriptor, AgentSteps.Tools.ToolSet>? _toolSets;

    public RuntimeConfiguration(RuntimeOptions options)
    {
        _chatClient = options.ResolveChatClient();
        CancellationToken = options.CancellationToken;
        _modelClients = options.ModelClients.Count == 0 ? null : new Dictionary<string, IChatClient>(options.ModelClients, StringComparer.Ordinal);
        _modelAliases = options.ModelAliases.Count == 0 ? null : new Dictionary<string, string>(options.ModelAliases, StringComparer.Ordinal);
        _modelOverride = options.ModelOverride;
        _defaultModel = options.DefaultModel;
        if (_modelClients is not null)
        {
            foreach (var (model, client) in _modelClients)
            {
                Throw.IfNull(client, $"ModelClients[{model}]");
            }
        }

        Budget = BudgetLimits.For(options.Budget);
        _prices = options.Prices.Count == 0 ? null : new Dictionary<string, ModelPrice>(options.Prices, StringComparer.Ordinal);
        if (_prices is not null)
        {
            foreach (var (model, price) in _prices)
            {
                Throw.IfNull(price, $"Prices[{model}]");
            }
        }

        TimeProvider = options.TimeProvider;
        DerivesStartTimes = ReferenceEquals(options.TimeProvider, TimeProvider.System);
        Trace = options.Trace;
        Log = options.Log is null && options.Logger is null ? RuntimeLog.None : new RuntimeLog(options.Log, options.Logger, options.EnableSensitiveData);
        Notify = new RunNotifier([.. options.Observers], Log);

        Tools = [.. options.Tools];
        for (int i = 0; i < Tools.Length; i++)
        {
            Throw.IfNull(Tools[i], $"Tools[{i}]");
        }

        ApprovalHandler = options.ApprovalHandler;

        // One gate per compiled options, so every run built from them shares the limit (a provider's rate limit is per key).
        ModelCallGate = options.MaxConcurrentModelCalls is > 0 and var limit ? new SemaphoreSlim(limit, limit) : null;
        HasMiddleware = options.Middleware.Count > 0;
        Journal = options.Journal;
        RunId = options.RunId;
        // The loop guard hands on to the time limit itself (one hop less on every step): see LoopGuardStage.
        IStepMiddleware[] builtIn = [RecordStage.Instance, TelemetryStage.Instance, LoopGuardStage.Instance];

        // With user middleware, a result-type check sits around it: a wrong-typed result is then a clear error recorded on the step.
        IStepMiddleware[] stages = HasMiddleware ? [.. builtIn, ResultTypeStage.Instance, .. options.Middleware] : builtIn;

        // The journal stage is last, just before the body or model call, and composed only with a journal: a runtime
        // without one pays nothing for the feature.
        if (Journal is not null)
        {
            stages = [.. stages, JournalStage.Instance];
        }

        StageCount = stages.Length;
        CodePipeline = Compose(stages, CodeBodyHandler.Instance);
        ModelPipeline = Compose(stages, ModelStepHandler.Instance);

        // An external tool has no workflow method for user middleware to reason about: it is recorded, traced and approved.
        ToolPipeline = Compose(builtIn, ExternalToolHandler.Instance);
    }

    /// <summary>Gets the tools of <see cref="RuntimeOptions.Tools"/>, which LLM steps offer by name.</summary>
    public AITool[] Tools { get; }

    public Func<ToolApprovalRequestContent, CancellationToken, ValueTask<bool>>? ApprovalHandler { get; }

    /// <summary>Gets the gate that holds model calls to <see cref="RuntimeOptions.MaxConcurrentModelCalls"/>, or <see langword="null"/> without a limit.</summary>
    public SemaphoreSlim? ModelCallGate { get; }

    /// <summary>Gets the pipeline of a model's call of an external tool.</summary>
    public StepHandler ToolPipeline { get; }

    /// <summary>Gets the tools <paramref name="step"/> offers under this configuration, resolving them on first use.</summary>
    /// <exception cref="InvalidOperationException">A name the step offers is neither a step nor one of <see cref="Tools"/>.</exception>
    public AgentSteps.Tools.ToolSet ToolsFor(StepDescriptor step)
    {
        var sets = Volatile.Read(ref _toolSets) ?? Interlocked.CompareExchange(ref _toolSets, new(), null) ?? _toolSets;
        if (sets.TryGetValue(step, out var set))
        {
            return set;
        }

        // Failures are not kept: each call reports the missing tool again.
        return sets.GetOrAdd(step, AgentSteps.Tools.ToolSet.Create(step, Tools));
    }

    public TimeProvider TimeProvider { get; }

    /// <summary>Gets <see cref="RuntimeOptions.CancellationToken"/>, which every run built from these options links.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets the budget of each run (<see cref="RuntimeOptions.Budget"/>), or <see langword="null"/> when it sets no limit.</summary>
    public BudgetLimits? Budget { get; }

    /// <summary>Gets the price of <paramref name="model"/> from <see cref="RuntimeOptions.Prices"/>, or <see langword="null"/>.</summary>
    public ModelPrice? PriceOf(string model) => _prices is not null && _prices.TryGetValue(model, out var price) ? price : null;

    /// <summary>
    /// Gets a value indicating whether a step's start time is derived from the run's start and the clock's timestamps (one
    /// clock read per step end). Only for the system clock: a custom clock's wall time may move apart from its timestamps
    /// (a fake that overrides only <see cref="TimeProvider.GetUtcNow"/>), so a step under one reads its wall time as it starts.
    /// </summary>
    public bool DerivesStartTimes { get; }

    public StepTraceOptions Trace { get; }

    /// <summary>Gets a value indicating whether user middleware runs, which may await before a code step's body.</summary>
    public bool HasMiddleware { get; }

    /// <summary>Gets a value indicating whether a stage may await before a code step's body: user middleware, or the journal (which loads the run).</summary>
    public bool MayAwaitBeforeBody => HasMiddleware || Journal is not null;

    /// <summary>Gets <see cref="RuntimeOptions.Journal"/>, or <see langword="null"/> when runs are not journaled.</summary>
    public IRunJournal? Journal { get; }

    /// <summary>Gets <see cref="RuntimeOptions.RunId"/>, or <see langword="null"/> for a new id per run.</summary>
    public string? RunId { get; }

    /// <summary>Gets the number of stages composed before a workflow step's body or model call.</summary>
    public int StageCount { get; }

    public RuntimeLog Log { get; }

    public RunNotifier Notify { get; }

    public StepHandler CodePipeline { get; }

    public StepHandler ModelPipeline { get; }

    /// <summary>Gets the configuration of <c>new Runtime(chatClient)</c>: one per client, kept as long as the client lives.</summary>
    public static RuntimeConfiguration For(IChatClient chatClient) =>
        s_byClient.GetValue(chatClient, static client => new RuntimeOptions { ChatClient = client }.Compile());

    /// <summary>
    /// Gets the configuration of <c>new Runtime()</c>: built once per process from the environment, and again only when
    /// the variables it reads have changed, so runs share one OpenAI client.
    /// </summary>
    public static RuntimeConfiguration FromEnvironment()
    {
        var key = (Environment.GetEnvironmentVariable(RuntimeOptions.ApiKeyVariable),
            Environment.GetEnvironmentVariable(RuntimeOptions.BaseUrlVariable),
            Environment.GetEnvironmentVariable(RuntimeOptions.ModelOverrideVariable),
            Environment.GetEnvironmentVariable(RuntimeOptions.HttpTimeoutVariable),
            Environment.GetEnvironmentVariable(RuntimeOptions.HttpRetriesVariable));
        lock (s_environmentGate)
        {
            if (s_environment is null || s_environmentKey != key)
            {
                s_environment = RuntimeOptions.FromEnvironment().Compile();
                s_environmentKey = key;
            }

            return s_environment;
        }
    }

    /// <summary>Gets a value indicating whether this is the first time runs of this configuration meet <paramref name="step"/> without a system prompt.</summary>
    public bool FirstReportOfNoSystemPrompt(StepDescriptor step)
    {
        var reported = Volatile.Read(ref _noSystemPrompt) ?? Interlocked.CompareExchange(ref _noSystemPrompt, new(), null) ?? _noSystemPrompt;
        return reported.TryAdd(step.QualifiedName, 0);
    }

    /// <summary>Finds the client and model id for an LLM step: override, then the step's model or the default, then aliases.</summary>
    public (IChatClient Client, string Model) ResolveModel(StepDescriptor step, Func<string, IChatClient?>? runLookup = null)
    {
        var model = _modelOverride ?? step.Attribute.Model ?? _defaultModel
            ?? throw new InvalidOperationException(
                $"LLM step '{step.QualifiedName}' names no model. Set Model on its [Step] attribute, RuntimeOptions.DefaultModel, or the {RuntimeOptions.ModelOverrideVariable} environment variable.");
        if (_modelAliases is not null && _modelAliases.TryGetValue(model, out var alias))
        {
            model = alias;
        }

        IChatClient? client = null;
        if ((_modelClients is not null && _modelClients.TryGetValue(model, out client)) || (client = runLookup?.Invoke(model)) is not null || (client = _chatClient) is not null)
        {
            return (client, model);
        }

        throw new InvalidOperationException(
            $"LLM step '{step.QualifiedName}' needs model '{model}', but no model client is configured. Set {RuntimeOptions.ApiKeyVariable} " +
            $"(and optionally {RuntimeOptions.BaseUrlVariable}), or {RuntimeOptions.BaseUrlVariable} alone for a keyless local server such as Ollama; " +
            "or pass an IChatClient to new Runtime(chatClient); or set RuntimeOptions.ChatClient or RuntimeOptions.ModelClients; " +
            "or use new SampleChatClient() to run offline.");
    }

    private static StepHandler Compose(IStepMiddleware[] stages, StepHandler terminal)
    {
        var next = terminal;
        for (int i = stages.Length - 1; i >= 0; i--)
        {
            var stage = stages[i];
            var rest = next;
            next = context => stage.InvokeAsync(context, rest);
        }

        return next;
    }
}
