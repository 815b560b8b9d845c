using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSteps.Tests.Adversarial;

[NonParallelizable]
public class SecretAttackTests
{
    private const string ApiKey = "sk-test-1234567890abcdef";

    public record Dish(string Name);

    public abstract class Kitchen
    {
        [Step(Model = "gpt-4o-mini")]
        [Description("Name a dish.")]
        public abstract Dish Draft(string query);
    }

    private OpenAIWireServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await OpenAIWireServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private sealed class AllLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            lock (Lines)
            {
                Lines.Add(formatter(state, exception) + " | " + string.Join(";", fields.Select(f => f.Key + "=" + f.Value)) + " | " + exception);
            }
        }
    }

    private static string SpanText(IEnumerable<Activity> activities) => string.Join("\n", activities.Select(a =>
        a.DisplayName + " " + a.StatusDescription + " " +
        string.Join(";", a.TagObjects.Select(t => t.Key + "=" + t.Value)) + " " +
        string.Join(";", a.Events.SelectMany(e => e.Tags.Select(t => e.Name + ":" + t.Key + "=" + t.Value)))));

    private (List<Activity> Spans, ActivityListener Listener) Listen()
    {
        var spans = new List<Activity>();
        var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
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
        return (spans, listener);
    }

    private void AssertNoKeyAnywhere(Exception e, Runtime runtime, AllLogger logger, List<string> log, List<Activity> spans)
    {
        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Does.Not.Contain("1234567890abcdef"), "message");
            Assert.That(e.ToString(), Does.Not.Contain("1234567890abcdef"), "ToString");
            Assert.That(runtime.ToJson(), Does.Not.Contain("1234567890abcdef"), "ToJson");
            Assert.That(runtime.FormatTree(), Does.Not.Contain("1234567890abcdef"), "FormatTree");
            Assert.That(string.Join("\n", logger.Lines), Does.Not.Contain("1234567890abcdef"), "ILogger");
            Assert.That(string.Join("\n", log), Does.Not.Contain("1234567890abcdef"), "Log");
            lock (spans)
            {
                Assert.That(SpanText(spans), Does.Not.Contain("1234567890abcdef"), "spans");
            }
        });
    }

    private Runtime Open(AllLogger logger, List<string> log)
    {
        var options = new RuntimeOptions
        {
            ChatClient = RuntimeOptions.CreateOpenAIClient(ApiKey, _server.BaseUrl),
            Logger = logger,
            Log = line =>
            {
                lock (log)
                {
                    log.Add(line);
                }
            },
        };
        return new Runtime(options);
    }

    [TestCase(401)]
    [TestCase(400)]
    [TestCase(200)]
    public void ProviderErrorBodyEchoingTheKey_NeverInMessagesLogsTraceOrSpans(int status)
    {
        _server.Reply(async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                "{\"error\":{\"message\":\"Incorrect API key provided: " + ApiKey + ". Header was Authorization: Bearer " + ApiKey +
                "\",\"type\":\"invalid_request_error\",\"param\":\"" + ApiKey + "\",\"code\":\"invalid_api_key\"}}");
        });
        var (spans, listener) = Listen();
        using (listener)
        {
            var logger = new AllLogger();
            var log = new List<string>();
            using var runtime = Open(logger, log);

            var e = Assert.Catch(() => Steps.Create<Kitchen>().Draft("x"))!;

            AssertNoKeyAnywhere(e, runtime, logger, log, spans);
        }
    }

    [Test]
    public void ServerErrorsRetriedWithTheKeyInAPlainTextBody_NeverInMessagesLogsTraceOrSpans()
    {
        for (int i = 0; i < 4; i++)
        {
            _server.Reply(async context =>
            {
                context.Response.StatusCode = 503;
                context.Response.Headers["retry-after-ms"] = "1";
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("upstream said: Authorization: Bearer " + ApiKey + " api_key=" + ApiKey);
            });
        }

        var (spans, listener) = Listen();
        using (listener)
        {
            var logger = new AllLogger();
            var log = new List<string>();
            using var runtime = Open(logger, log);

            var e = Assert.Catch(() => Steps.Create<Kitchen>().Draft("x"))!;

            Assert.That(runtime.ExecutedSteps.Single().ModelCalls, Is.GreaterThan(1), "the client's retries count");
            AssertNoKeyAnywhere(e, runtime, logger, log, spans);
        }
    }
}
