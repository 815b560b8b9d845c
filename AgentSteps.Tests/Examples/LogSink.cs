using Microsoft.Extensions.Logging;

namespace AgentSteps.Tests;

/// <summary>A logger provider that keeps the level, message and exception of every log entry of every category.</summary>
internal sealed class LogSink : ILoggerProvider, ILogger
{
    public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception), exception));
        }
    }

    public void Dispose()
    {
    }
}
