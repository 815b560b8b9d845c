using System.Runtime.CompilerServices;
using AgentSteps.Internal;

namespace AgentSteps;

/// <summary>
/// Bounds what the trace keeps of each argument and result (<see cref="ExecutedStep.Arguments"/>,
/// <see cref="ExecutedStep.Result"/>, <see cref="Runtime.ToJson(bool)"/>): values are snapshotted when a step starts
/// (arguments) and when it finishes (its result), capped in depth, items and characters, with secrets scrubbed, so the
/// trace shows what the step saw and can never crash, hang or balloon.
/// </summary>
/// <remarks>
/// Parameters, members, dictionary keys and the keys of key-value pairs whose names contain <c>authorization</c>,
/// <c>apikey</c>, <c>password</c>, <c>passwd</c>, <c>pwd</c>, <c>secret</c>, <c>token</c>, <c>cookie</c>,
/// <c>credential</c>, <c>privatekey</c>, <c>session</c>, <c>jwt</c>, <c>csrf</c>, <c>xsrf</c> or <c>auth</c> (not
/// <c>author</c>) (any case, ignoring <c>_</c> and <c>-</c>) are written as <c>[REDACTED]</c>, unless their value is a number, a Boolean or
/// <see langword="null"/>: counts and flags such as <c>MaxTokens</c> or <c>InputTokenCount</c> reveal nothing.
/// Delegates, tasks, streams, HTTP clients, cancellation tokens, service providers, reflection and threading objects,
/// disposable services and lazy sequences are never read or enumerated: the trace keeps the reference and writes only
/// their type name.
/// </remarks>
public sealed class StepTraceOptions
{
    /// <summary>The default of <see cref="MaxDepth"/>.</summary>
    public const int DefaultMaxDepth = 16;

    /// <summary>The default of <see cref="MaxItems"/>.</summary>
    public const int DefaultMaxItems = 100;

    /// <summary>The default of <see cref="MaxStringLength"/>.</summary>
    public const int DefaultMaxStringLength = 4_096;

    /// <summary>The default of <see cref="MaxValueLength"/>.</summary>
    public const int DefaultMaxValueLength = 65_536;

    /// <summary>The largest <see cref="MaxDepth"/> accepted: deeper values would strain the stack of JSON writers and readers.</summary>
    public const int MaxDepthLimit = 256;

    private readonly Freezable _state;
    private readonly string _prefix = string.Empty;
    private int _maxDepth = DefaultMaxDepth;
    private int _maxItems = DefaultMaxItems;
    private int _maxStringLength = DefaultMaxStringLength;
    private int _maxValueLength = DefaultMaxValueLength;

    /// <summary>Initializes a new instance of the <see cref="StepTraceOptions"/> class with the default caps.</summary>
    public StepTraceOptions() => _state = new Freezable(nameof(StepTraceOptions));

    /// <summary>Initializes the caps of a <see cref="RuntimeOptions"/>: frozen with them, at the first runtime built from them.</summary>
    internal StepTraceOptions(Freezable state)
    {
        _state = state;
        _prefix = nameof(RuntimeOptions.Trace) + ".";
    }

    /// <summary>Gets the default caps; this instance is read-only.</summary>
    public static StepTraceOptions Default { get; } = CreateDefault();

    /// <summary>Gets or sets how deeply nested objects and collections are kept; deeper ones are written as a note.</summary>
    /// <value>The default value is 16.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or greater than <see cref="MaxDepthLimit"/>.</exception>
    /// <exception cref="InvalidOperationException">The instance is <see cref="Default"/>, or belongs to <see cref="RuntimeOptions"/> in use by a runtime.</exception>
    public int MaxDepth
    {
        get => _maxDepth;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxDepthLimit);
            ThrowIfReadOnly();
            _maxDepth = value;
        }
    }

    /// <summary>Gets or sets how many items of each collection or dictionary are kept; a note says how many were left out.</summary>
    /// <value>The default value is 100.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    /// <exception cref="InvalidOperationException">The instance is <see cref="Default"/>, or belongs to <see cref="RuntimeOptions"/> in use by a runtime.</exception>
    public int MaxItems
    {
        get => _maxItems;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            ThrowIfReadOnly();
            _maxItems = value;
        }
    }

    /// <summary>Gets or sets how many characters of each string are kept; a note says how many were left out.</summary>
    /// <value>The default value is 4,096.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    /// <exception cref="InvalidOperationException">The instance is <see cref="Default"/>, or belongs to <see cref="RuntimeOptions"/> in use by a runtime.</exception>
    public int MaxStringLength
    {
        get => _maxStringLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            ThrowIfReadOnly();
            _maxStringLength = value;
        }
    }

    /// <summary>
    /// Gets or sets roughly how many characters one argument or result may take in the trace, all strings, names and
    /// items together; past it, the rest of the value is left out with a note.
    /// </summary>
    /// <value>The default value is 65,536.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero or negative.</exception>
    /// <exception cref="InvalidOperationException">The instance is <see cref="Default"/>, or belongs to <see cref="RuntimeOptions"/> in use by a runtime.</exception>
    public int MaxValueLength
    {
        get => _maxValueLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            ThrowIfReadOnly();
            _maxValueLength = value;
        }
    }

    private static StepTraceOptions CreateDefault()
    {
        var defaults = new StepTraceOptions();
        defaults._state.Freeze();
        return defaults;
    }

    private void ThrowIfReadOnly([CallerMemberName] string member = "") => _state.ThrowIfFrozen(_prefix + member);
}
