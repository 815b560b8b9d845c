using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AgentSteps.Tests.Adversarial;

[NonParallelizable]
public class FailureSecretAttackTests
{
    public abstract class Caller
    {
        [Step]
        public virtual string CallUpstream(string query) =>
            throw new HttpRequestException("upstream rejected the request; it sent Authorization: Bearer sk-test-1234567890abcdef");
    }

    private sealed class TextLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception) + " | " + exception);
            }
        }
    }

    [Test]
    public void FailedStep_WhoseExceptionCarriesABearerKey_KeyNeverInTraceLogsOrSpans()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name.StartsWith("AgentSteps", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (spans)
                {
                    spans.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var logger = new TextLogger();
        using var runtime = new Runtime(new RuntimeOptions { Logger = logger });

        Assert.Throws<HttpRequestException>(() => Steps.Create<Caller>().CallUpstream("q"));

        string spanText;
        lock (spans)
        {
            spanText = string.Join("\n", spans.Select(a => a.StatusDescription + " " + string.Join(";", a.Events.SelectMany(e => e.Tags.Select(t => t.Key + "=" + t.Value)))));
        }

        Assert.Multiple(() =>
        {
            Assert.That(runtime.ToJson(), Does.Not.Contain("1234567890abcdef"), "ToJson");
            Assert.That(runtime.FormatTree(), Does.Not.Contain("1234567890abcdef"), "FormatTree");
            Assert.That(string.Join("\n", logger.Lines), Does.Not.Contain("1234567890abcdef"), "ILogger without EnableSensitiveData");
            Assert.That(spanText, Does.Not.Contain("1234567890abcdef"), "spans");
            Assert.That(runtime.ExecutedSteps.Single().Exception, Is.InstanceOf<HttpRequestException>(), "the step's own exception is kept for the caller");
        });
    }
}
