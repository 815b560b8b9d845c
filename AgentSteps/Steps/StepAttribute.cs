using AgentSteps.Internal;

namespace AgentSteps;

/// <summary>
/// Marks a method of a workflow class as a step. A <c>virtual</c> method with a body is a code step: its body runs inside
/// the runtime, recorded and loop-counted. An <c>abstract</c> method is an LLM step: the model implements it, with the
/// method's <see cref="System.ComponentModel.DescriptionAttribute"/> as the system prompt, its arguments as the user
/// prompt and its return type as the output schema.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class StepAttribute : Attribute
{
    /// <summary>The number of times an invalid model reply is sent back for correction by default.</summary>
    public const int DefaultOutputRetries = 2;

    /// <summary>The longest model reply, in characters, that an LLM step accepts by default (1 MiB of characters).</summary>
    public const int DefaultMaxReplyLength = 1024 * 1024;

    /// <summary>The number of tool calls one run of an LLM step may make by default.</summary>
    public const int DefaultMaxToolCalls = 20;

    private int _maxLoops;
    private int _maxReplyLength = DefaultMaxReplyLength;
    private int _outputRetries = DefaultOutputRetries;
    private int _maxOutputTokens;
    private int _maxToolCalls = DefaultMaxToolCalls;
    private double _temperature = double.NaN;
    private double _topP = double.NaN;
    private double _timeoutSeconds;
    private int _maxModelCalls;
    private long _maxInputTokens;
    private long _maxSubtreeOutputTokens;
    private long _maxTotalTokens;
    private double _maxCost;

    /// <summary>Gets or sets the model that implements an LLM step, such as <c>gpt-4o-mini</c>.</summary>
    /// <value>
    /// The default value is <see langword="null"/>: the runtime's <see cref="RuntimeOptions.DefaultModel"/> applies.
    /// Only abstract (LLM) steps may set it.
    /// </value>
    public string? Model { get; set; }

    /// <summary>Gets or sets how many times this step may be entered within one run.</summary>
    /// <value>The default value is 0, meaning no limit. The entry after the limit throws <see cref="MaxLoopsExceededException"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxLoops
    {
        get => _maxLoops;
        set => _maxLoops = Throw.IfLessThan(value, 0);
    }

    /// <summary>Gets or sets how many times an invalid model reply is sent back to the model with the error.</summary>
    /// <value>The default value is 2.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int OutputRetries
    {
        get => _outputRetries;
        set => _outputRetries = Throw.IfLessThan(value, 0);
    }

    /// <summary>Gets or sets the sampling temperature of an LLM step.</summary>
    /// <value>The default value is <see cref="double.NaN"/>, meaning unset: the provider's default applies.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or infinite.</exception>
    public double Temperature
    {
        get => _temperature;
        set => _temperature = value < 0 || double.IsInfinity(value)
            ? throw new ArgumentOutOfRangeException(nameof(value), value, "Temperature must be a finite number, zero or more.")
            : value;
    }

    /// <summary>Gets or sets the nucleus-sampling probability mass of an LLM step.</summary>
    /// <value>The default value is <see cref="double.NaN"/>, meaning unset: the provider's default applies.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 0 and 1.</exception>
    public double TopP
    {
        get => _topP;
        set => _topP = value is < 0 or > 1
            ? throw new ArgumentOutOfRangeException(nameof(value), value, "TopP must be between 0 and 1.")
            : value;
    }

    /// <summary>Gets or sets the largest number of tokens the model may produce for this step.</summary>
    /// <value>The default value is 0, meaning unset: the provider's default applies.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxOutputTokens
    {
        get => _maxOutputTokens;
        set => _maxOutputTokens = Throw.IfLessThan(value, 0);
    }

    /// <summary>
    /// Gets or sets the longest model reply, in characters, that this step accepts. A longer reply is not parsed: the
    /// step fails at once with <see cref="StepOutputException"/>, since asking again would resend it.
    /// </summary>
    /// <value>The default value is <see cref="DefaultMaxReplyLength"/> (1,048,576 characters).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxReplyLength
    {
        get => _maxReplyLength;
        set => _maxReplyLength = Throw.IfLessThan(value, 1);
    }
    /// <summary>
    /// Gets or sets the tools an LLM step offers the model: names of steps of the same workflow (code steps run as
    /// functions, LLM steps as sub-agents) and of tools in <see cref="RuntimeOptions.Tools"/>. Every call the model makes
    /// runs as a recorded child step of this one.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the step offers no tools.</value>
    /// <remarks>
    /// A name that is a method of the workflow but not a step, or a step that cannot be a tool, fails at
    /// <c>Steps.Create</c>. A name that matches no step is looked up in <see cref="RuntimeOptions.Tools"/> at the
    /// first call of the step, which fails with the names that exist when it is not there either.
    /// </remarks>
    public string[]? Tools { get; set; }

    /// <summary>Gets or sets how many tool calls one run of this LLM step may make.</summary>
    /// <value>
    /// The default value is <see cref="DefaultMaxToolCalls"/> (20). A reply that asks for more calls than remain ends the
    /// step with <see cref="MaxToolCallsExceededException"/>, so a model that keeps calling tools never runs forever.
    /// </value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxToolCalls
    {
        get => _maxToolCalls;
        set => _maxToolCalls = Throw.IfLessThan(value, 1);
    }

    /// <summary>
    /// Gets or sets how long one call of this step may take, in seconds, its retries, model calls, tool calls and child
    /// steps included. When the time passes, the step's cancellation token is cancelled (the one its model calls, tools
    /// and children see, and its <see cref="CancellationToken"/> parameter's, if it has one), and a step that ends by that
    /// cancellation fails with <see cref="StepTimeoutException"/>.
    /// </summary>
    /// <value>The default value is 0, meaning no limit.</value>
    /// <remarks>
    /// The limit is cooperative: the body of a code step without a <see cref="CancellationToken"/> parameter is not
    /// stopped mid-way, but its model calls and child steps are cancelled, so it fails at its next one. The clock is
    /// <see cref="RuntimeOptions.TimeProvider"/>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, infinite or not a number.</exception>
    public double TimeoutSeconds
    {
        get => _timeoutSeconds;
        set => _timeoutSeconds = value < 0 || !double.IsFinite(value)
            ? throw new ArgumentOutOfRangeException(nameof(value), value, "TimeoutSeconds must be a finite number of seconds, zero (no limit) or more.")
            : value;
    }

    /// <summary>
    /// Gets or sets a value indicating whether a model's call of this step as a tool must be approved first: before it
    /// runs, <see cref="RuntimeOptions.ApprovalHandler"/> is asked, and a denial goes back to the model as the result.
    /// </summary>
    /// <value>The default value is <see langword="false"/>. A call of the step from code is never asked about.</value>
    public bool RequiresApproval { get; set; }

    /// <summary>
    /// Gets or sets how many model requests this step's whole subtree may make per call of the step: its own model calls
    /// (output corrections and tool rounds included) and those of every step it calls, directly or not. Once they are
    /// made, the next model call in the subtree is refused with <see cref="BudgetExceededException"/>.
    /// </summary>
    /// <value>The default value is 0, meaning no limit. <see cref="RuntimeOptions.Budget"/> limits the whole run.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxModelCalls
    {
        get => _maxModelCalls;
        set => _maxModelCalls = Throw.IfLessThan(value, 0);
    }

    /// <summary>
    /// Gets or sets how many input (prompt) tokens this step's whole subtree may use per call of the step; once used, the
    /// next model call in the subtree is refused with <see cref="BudgetExceededException"/>.
    /// </summary>
    /// <value>The default value is 0, meaning no limit.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxInputTokens
    {
        get => _maxInputTokens;
        set => _maxInputTokens = NotNegative(value);
    }

    /// <summary>
    /// Gets or sets how many output (completion) tokens this step's whole subtree may use per call of the step; once used,
    /// the next model call in the subtree is refused with <see cref="BudgetExceededException"/>. Not to be confused with
    /// <see cref="MaxOutputTokens"/>, the provider's cap on one reply of this step.
    /// </summary>
    /// <value>The default value is 0, meaning no limit.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxSubtreeOutputTokens
    {
        get => _maxSubtreeOutputTokens;
        set => _maxSubtreeOutputTokens = NotNegative(value);
    }

    /// <summary>
    /// Gets or sets how many tokens, input and output together, this step's whole subtree may use per call of the step;
    /// once used, the next model call in the subtree is refused with <see cref="BudgetExceededException"/>.
    /// </summary>
    /// <value>The default value is 0, meaning no limit.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxTotalTokens
    {
        get => _maxTotalTokens;
        set => _maxTotalTokens = NotNegative(value);
    }

    /// <summary>
    /// Gets or sets the cost, in the currency of <see cref="RuntimeOptions.Prices"/>, this step's whole subtree may reach
    /// per call of the step; once reached, the next model call in the subtree is refused with
    /// <see cref="BudgetExceededException"/>. Every model called in the subtree must then have a price. A
    /// <see cref="double"/>, as an attribute cannot hold a <see cref="decimal"/>; it is converted to one.
    /// </summary>
    /// <value>The default value is 0, meaning no limit.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, infinite or not a number.</exception>
    public double MaxCost
    {
        get => _maxCost;
        set => _maxCost = value < 0 || !double.IsFinite(value) || value > (double)decimal.MaxValue
            ? throw new ArgumentOutOfRangeException(nameof(value), value, "MaxCost must be a finite number, zero or more.")
            : value;
    }

    private static long NotNegative(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value;
    }
}
