using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AgentSteps.Examples.Progress;

/// <summary>
/// Shows a run's progress while it is in flight, from <see cref="Runtime.WatchAsync"/>: which steps are running, the time
/// elapsed, the tokens used so far and the text the model is streaming. On an interactive console it is a Spectre.Console
/// live display that clears itself when the run ends; otherwise (output redirected, or a <see cref="StringWriter"/> in a
/// test) it writes one plain line per step start and end, such as <c>→ DraftRecipe started</c> and
/// <c>✓ DraftRecipe 1.2 s, 350 tokens</c>.
/// </summary>
/// <remarks>
/// Anything else that writes to the same output while the run is in flight (an approval question) calls
/// <see cref="PauseAsync"/> first: the live display is cleared and no progress line is written until it is done.
/// </remarks>
#pragma warning disable CA1001 // A SemaphoreSlim whose wait handle is never asked for holds nothing to dispose.
public sealed class ConsoleProgress
#pragma warning restore CA1001
{
    /// <summary>How often the live display redraws, so that the elapsed times tick.</summary>
    private static readonly TimeSpan s_refresh = TimeSpan.FromMilliseconds(100);

    /// <summary>How many lines of the streamed text the live display shows.</summary>
    private const int TextLines = 3;

    private readonly TextWriter _output;
    private readonly bool _live;
    private readonly SemaphoreSlim _gate = new(1, 1); // held by whoever writes: a progress line, the live display, or a pause
    private readonly Lock _stateGate = new();
    private readonly Dictionary<ExecutedStep, long> _running = []; // step -> timestamp when it started
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _startedTimestamp;
    private int _completedSteps;
    private long _tokens;
    private string? _streamingStep;
    private string _streamedText = string.Empty;
    private int _pausesWaiting;
    private Task _completion = Task.CompletedTask;

    /// <summary>Initializes a new instance of the <see cref="ConsoleProgress"/> class.</summary>
    /// <param name="output">Where to write: the live display is used only when this is the console's own, interactive output.</param>
    public ConsoleProgress(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _live = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected &&
            AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
    }

    /// <summary>Gets a value indicating whether progress is a live display rather than plain lines.</summary>
    public bool IsLive => _live;

    /// <summary>
    /// Starts watching <paramref name="runtime"/>. Call it before the work starts: the watcher is registered now, so no
    /// event is missed.
    /// </summary>
    /// <param name="runtime">The run to show.</param>
    public void Start(Runtime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _startedTimestamp = Stopwatch.GetTimestamp();
        var events = runtime.WatchAsync();
        var reading = Task.Run(() => ReadAsync(events));
        _completion = _live ? Task.WhenAll(reading, Task.Run(DisplayAsync)) : reading;
    }

    /// <summary>
    /// Waits until the run has ended (its <see cref="RunCompletedEvent"/>, sent when the runtime is disposed) and the
    /// progress is off the screen, with a last summary line in live mode.
    /// </summary>
    /// <returns>A task that completes when the progress is done.</returns>
    public Task CompleteAsync() => _completion;

    /// <summary>
    /// Takes the output for the caller: the live display is cleared and no progress line is written until the returned
    /// object is disposed.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>An object that gives the output back to the progress when disposed.</returns>
    public async Task<IDisposable> PauseAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _pausesWaiting);
        try
        {
            await _gate.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _pausesWaiting);
        }

        return new Release(_gate);
    }

    private async Task ReadAsync(IAsyncEnumerable<RunEvent> events)
    {
        try
        {
            await foreach (var runEvent in events)
            {
                var line = Apply(runEvent);
                if (!_live && line is not null)
                {
                    await _gate.WaitAsync();
                    try
                    {
                        _output.WriteLine(line);
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }
            }
        }
        finally
        {
            _finished.TrySetResult();
        }
    }

    /// <summary>Records the event in the state the live display draws, and returns the plain line for it, if any.</summary>
    private string? Apply(RunEvent runEvent)
    {
        lock (_stateGate)
        {
            switch (runEvent)
            {
                case StepStartedEvent { Step: { } step }:
                    _running[step] = Stopwatch.GetTimestamp();
                    return $"→ {step.Name} started";
                case StepCompletedEvent { Step: { } step } completed:
                    _running.Remove(step);
                    _completedSteps++;
                    long tokens = TokensOf(step);
                    _tokens += tokens;
                    if (step.Key == _streamingStep)
                    {
                        _streamingStep = null;
                        _streamedText = string.Empty;
                    }

                    var duration = Seconds(step.Duration);
                    return completed.Failed
                        ? $"✗ {step.Name} failed after {duration}: {step.Exception!.GetType().Name}"
                        : tokens > 0 ? $"✓ {step.Name} {duration}, {tokens.ToString("N0", CultureInfo.InvariantCulture)} tokens" : $"✓ {step.Name} {duration}";
                case ModelTextEvent { Step: { } step } text:
                    // Only the live display shows text: as plain lines, every piece would be a line of its own.
                    _streamingStep = step.Key;
                    _streamedText = text.Text;
                    return null;
                case ToolCallEvent { Step: { } step } toolCall:
                    return $"  {step.Name} asks for {toolCall.Call.Name}";
                case RunCompletedEvent:
                    _running.Clear();
                    return null;
                default:
                    return null;
            }
        }
    }

    private async Task DisplayAsync()
    {
        while (!_finished.Task.IsCompleted)
        {
            await _gate.WaitAsync();
            try
            {
                await AnsiConsole.Live(Render()).AutoClear(true).StartAsync(async context =>
                {
                    // Hand the console over as soon as someone asks (an approval question), and come back after.
                    while (!_finished.Task.IsCompleted && Volatile.Read(ref _pausesWaiting) == 0)
                    {
                        context.UpdateTarget(Render());
                        context.Refresh();
                        await Task.WhenAny(_finished.Task, Task.Delay(s_refresh));
                    }
                });
            }
            finally
            {
                _gate.Release();
            }
        }

        lock (_stateGate)
        {
            AnsiConsole.MarkupLine(
                $"[green]✓[/] Run finished in {Seconds(Stopwatch.GetElapsedTime(_startedTimestamp))}: {_completedSteps} steps, " +
                $"{_tokens.ToString("N0", CultureInfo.InvariantCulture)} tokens");
        }
    }

    private Rows Render()
    {
        lock (_stateGate)
        {
            var rows = new List<IRenderable>();
            foreach (var (step, started) in _running.OrderBy(r => r.Key.Sequence))
            {
                rows.Add(new Markup($"[yellow]→[/] {Markup.Escape(step.Name)} [grey]{Seconds(Stopwatch.GetElapsedTime(started))}[/]"));
            }

            rows.Add(new Markup(
                $"[grey]Elapsed {Seconds(Stopwatch.GetElapsedTime(_startedTimestamp))} · {_completedSteps} steps done · " +
                $"{_tokens.ToString("N0", CultureInfo.InvariantCulture)} tokens[/]"));
            int width = Math.Max(20, AnsiConsole.Profile.Width - 4);
            foreach (var line in LastLines(_streamedText, TextLines, width))
            {
                rows.Add(new Markup($"  [dim]{Markup.Escape(line)}[/]"));
            }

            return new Rows(rows);
        }
    }

    /// <summary>
    /// The last <paramref name="count"/> non-blank lines of the text, each cut to <paramref name="width"/>: enough to see
    /// the text arrive without the display growing with it. Only the text's tail is looked at, however long it gets.
    /// </summary>
    internal static IEnumerable<string> LastLines(string text, int count, int width)
    {
        var tail = text.Length > count * width * 2 ? text[^(count * width * 2)..] : text;
        var lines = tail.Split('\n')
            .Select(l => new string([.. l.Select(c => char.IsControl(c) ? ' ' : c)]).TrimEnd())
            .Where(l => l.Length > 0)
            .TakeLast(count);
        return lines.Select(l => l.Length <= width ? l : l[..(width - 1)] + "…");
    }

    private static long TokensOf(ExecutedStep step) =>
        step.Usage is { } usage ? usage.TotalTokenCount ?? (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0) : 0;

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.0 's'", CultureInfo.InvariantCulture);

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
