using AgentSteps.Diagnostics;
using AgentSteps.Inspection;
using AgentSteps.Internal;
using AgentSteps.Pipeline;
using Microsoft.Extensions.AI;

namespace AgentSteps;

/// <summary>
/// The context a workflow runs in: it resolves models, enforces loop limits and records every step. Opening one makes it
/// the ambient runtime of the current async flow (it flows through <see langword="await"/> and nests); disposing it
/// restores the one that was ambient before.
/// </summary>
/// <example>
/// <code>
/// using var runtime = new Runtime();
/// var recipe = Steps.Create&lt;RecipeWorkflow&gt;().CreateRecipe("chicken parmesan");
/// Console.WriteLine(runtime.FormatTree());
/// </code>
/// </example>
public sealed class Runtime : IDisposable
{
    private static readonly AsyncLocal<Runtime?> s_current = new();
    private static readonly AsyncLocal<ExecutedStep?> s_currentStep = new();

    private static readonly IStepStage[] s_codePipeline = [RecordStage.Instance, TelemetryStage.Instance, LoopGuardStage.Instance, CodeBodyStage.Instance];
    private static readonly IStepStage[] s_modelPipeline = [RecordStage.Instance, TelemetryStage.Instance, LoopGuardStage.Instance, ModelCallStage.Instance];

    // The options' settings, copied so that later changes to the options do not affect this runtime.
    private readonly IChatClient? _chatClient;
    private readonly Dictionary<string, IChatClient>? _modelClients;
    private readonly Dictionary<string, string>? _modelAliases;
    private readonly Func<string, IChatClient?>? _modelClientLookup;
    private readonly string? _modelOverride;
    private readonly string? _defaultModel;
    private readonly Runtime? _previous;
    private readonly object _gate = new();
    private readonly List<ExecutedStep> _executed = [];
    private int[]? _entries;
    private bool _disposed;

    /// <summary>
    /// Initializes a new instance of the <see cref="Runtime"/> class with models from the environment
    /// (<c>OPENAI_API_KEY</c>, <c>OPENAI_BASE_URL</c>, <c>AGENTSTEPS_MODEL</c>), and makes it the ambient runtime.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>OPENAI_BASE_URL</c> is set but is not a URL.</exception>
    public Runtime()
        : this(RuntimeOptions.FromEnvironment())
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="Runtime"/> class that sends every model through one client (the step's
    /// model goes in <see cref="ChatOptions.ModelId"/>), and makes it the ambient runtime.
    /// </summary>
    /// <param name="chatClient">The client that answers every LLM step.</param>
    /// <exception cref="ArgumentNullException"><paramref name="chatClient"/> is <see langword="null"/>.</exception>
    public Runtime(IChatClient chatClient)
        : this(new RuntimeOptions { ChatClient = Throw.IfNull(chatClient) })
    {
    }

    /// <summary>Initializes a new instance of the <see cref="Runtime"/> class and makes it the ambient runtime.</summary>
    /// <param name="options">The options; they are copied, so later changes do not affect this runtime.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public Runtime(RuntimeOptions options)
        : this(options, ambient: true)
    {
    }

    /// <summary>Initializes a run that a bound workflow opens for one top-level call; it is made ambient around that call only.</summary>
    internal Runtime(RuntimeOptions options, bool ambient)
    {
        Throw.IfNull(options);
        _chatClient = options.ChatClient;
        _modelClients = options.ModelClients.Count == 0 ? null : new Dictionary<string, IChatClient>(options.ModelClients, StringComparer.Ordinal);
        _modelAliases = options.ModelAliases.Count == 0 ? null : new Dictionary<string, string>(options.ModelAliases, StringComparer.Ordinal);
        _modelClientLookup = options.ModelClientLookup;
        _modelOverride = options.ModelOverride;
        _defaultModel = options.DefaultModel;
        if (_modelClients is not null)
        {
            foreach (var (model, client) in _modelClients)
            {
                Throw.IfNull(client, $"ModelClients[{model}]");
            }
        }

        Log = options.Log is null && options.Logger is null ? RuntimeLog.None : new RuntimeLog(options.Log, options.Logger, options.EnableSensitiveData);
        CodePipeline = options.ExtraStages.Count == 0 ? s_codePipeline : WithExtraStages(s_codePipeline, options.ExtraStages);
        ModelPipeline = options.ExtraStages.Count == 0 ? s_modelPipeline : WithExtraStages(s_modelPipeline, options.ExtraStages);
        if (ambient)
        {
            _previous = s_current.Value;
            s_current.Value = this;
        }
    }

    /// <summary>Gets the ambient runtime of the current async flow, or <see langword="null"/> when none is open.</summary>
    public static Runtime? Current => s_current.Value;

    /// <summary>Gets the identifier of this run, for correlating logs and traces.</summary>
    public Guid RunId { get; } = Guid.NewGuid();

    /// <summary>Gets every finished step so far, in the order they finished (a snapshot).</summary>
    public IReadOnlyList<ExecutedStep> ExecutedSteps
    {
        get
        {
            lock (_gate)
            {
                return _executed.ToArray();
            }
        }
    }

    /// <summary>Gets the finished steps that were called from outside any step: the roots of the call tree.</summary>
    public IReadOnlyList<ExecutedStep> RootSteps
    {
        get
        {
            lock (_gate)
            {
                return _executed.Where(s => s.Parent is null).ToArray();
            }
        }
    }

    internal static Runtime? CurrentOrNull
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }

    internal static ExecutedStep? CurrentStep
    {
        get => s_currentStep.Value;
        set => s_currentStep.Value = value;
    }

    internal IStepStage[] CodePipeline { get; }

    internal IStepStage[] ModelPipeline { get; }

    internal RuntimeLog Log { get; }

    internal object Gate => _gate;

    /// <summary>Writes the call tree as indented text: name, loop entry, duration, model, tokens and outcome per step.</summary>
    /// <returns>The tree, one step per line.</returns>
    public string FormatTree() => TraceFormatter.FormatTree(RootSteps);

    /// <summary>Serialises the call tree to JSON: per step its name, arguments, result or error, timing, model, tokens and children.</summary>
    /// <param name="indented">Whether to indent the JSON.</param>
    /// <returns>The JSON text.</returns>
    public string ToJson(bool indented = true) => TraceFormatter.ToJson(RootSteps, RunId, indented);

    /// <summary>Ends this runtime: the runtime that was ambient when it was opened becomes ambient again.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (ReferenceEquals(s_current.Value, this))
        {
            s_current.Value = _previous;
        }
    }

    /// <summary>Counts one more entry of <paramref name="step"/> and returns the count.</summary>
    internal int Enter(StepDescriptor step)
    {
        lock (_gate)
        {
            if (_entries is null || _entries.Length <= step.Id)
            {
                Array.Resize(ref _entries, Math.Max(step.Id + 1, Math.Max(16, (_entries?.Length ?? 0) * 2)));
            }

            return ++_entries[step.Id];
        }
    }

    internal void Record(ExecutedStep step)
    {
        lock (_gate)
        {
            _executed.Add(step);
            step.Parent?.AddChild(step);
        }
    }

    /// <summary>Finds the client and model id for an LLM step: override, then the step's model or the default, then aliases.</summary>
    internal (IChatClient Client, string Model) ResolveModel(StepDescriptor step)
    {
        var model = _modelOverride ?? step.Attribute.Model ?? _defaultModel
            ?? throw new InvalidOperationException(
                $"LLM step '{step.QualifiedName}' names no model. Set Model on its [Step] attribute, RuntimeOptions.DefaultModel, or the {RuntimeOptions.ModelOverrideVariable} environment variable.");
        if (_modelAliases is not null && _modelAliases.TryGetValue(model, out var alias))
        {
            model = alias;
        }

        IChatClient? client = null;
        if ((_modelClients is not null && _modelClients.TryGetValue(model, out client)) || (client = _modelClientLookup?.Invoke(model)) is not null ||
            (client = _chatClient) is not null)
        {
            return (client, model);
        }

        throw new InvalidOperationException(
            $"LLM step '{step.QualifiedName}' needs model '{model}', but no model client is configured. Set {RuntimeOptions.ApiKeyVariable} " +
            $"(and optionally {RuntimeOptions.BaseUrlVariable}), or {RuntimeOptions.BaseUrlVariable} alone for a keyless local server such as Ollama; " +
            "or pass an IChatClient to new Runtime(chatClient); or set RuntimeOptions.ChatClient or RuntimeOptions.ModelClients; " +
            "or use new SampleChatClient() to run offline.");
    }

    private static IStepStage[] WithExtraStages(IStepStage[] pipeline, List<IStepStage> extra)
    {
        // Extra stages (tests of the pipeline) run after recording and telemetry, before the loop guard.
        var stages = new List<IStepStage>(pipeline);
        stages.InsertRange(2, extra);
        return stages.ToArray();
    }
}
