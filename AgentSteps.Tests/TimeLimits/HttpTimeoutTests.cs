using System.Diagnostics;

namespace AgentSteps.Tests.TimeLimits;

/// <summary>
/// The network timeout and retries of the OpenAI-compatible client the library builds, over a real HTTP server on
/// 127.0.0.1. The waits here are real but short: the timeouts are one or two seconds.
/// </summary>
public class HttpTimeoutTests
{
    private const string RecipeJson = """{"Dish":"soup"}""";

    public record Plan(string Dish);

    public abstract class Kitchen
    {
        [Step(Model = "gpt-4o-mini"), Description("Plans a dish.")]
        public abstract Task<Plan> PlanAsync(string request);
    }

    private OpenAIWireServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await OpenAIWireServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task RetryAfter_AnHour_WaitsNoLongerThanTheTimeoutThenRetries()
    {
        _server.ReplyStatusWithHeaders(429, "Rate limit reached", ("retry-after", "3600")).ReplyContent(RecipeJson);
        var client = RuntimeOptions.CreateOpenAIClient("sk-test", _server.BaseUrl, httpTimeout: TimeSpan.FromSeconds(1), httpRetries: 1);
        using var runtime = new Runtime(client);

        var clock = Stopwatch.StartNew();
        var plan = await Steps.Create<Kitchen>().PlanAsync("soup");

        Assert.Multiple(() =>
        {
            Assert.That(plan.Dish, Is.EqualTo("soup"));
            Assert.That(_server.Requests, Has.Count.EqualTo(2));
            Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9)), "the server's wait, bounded by the timeout");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "not the hour the server asked for");
        });
    }

    [Test]
    public async Task RetryAfterMs_IsHonouredBeforeRetryAfter()
    {
        _server.ReplyStatusWithHeaders(429, "Rate limit reached", ("retry-after", "3600"), ("retry-after-ms", "50")).ReplyContent(RecipeJson);
        var client = RuntimeOptions.CreateOpenAIClient("sk-test", _server.BaseUrl, httpTimeout: TimeSpan.FromSeconds(30), httpRetries: 1);
        using var runtime = new Runtime(client);

        var clock = Stopwatch.StartNew();
        var plan = await Steps.Create<Kitchen>().PlanAsync("soup");

        Assert.Multiple(() =>
        {
            Assert.That(plan.Dish, Is.EqualTo("soup"));
            Assert.That(_server.Requests, Has.Count.EqualTo(2));
            Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(45)));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(15)), "50 ms, not the 30 s timeout nor the hour of retry-after");
        });
    }

    [TestCase(0, 1)]
    [TestCase(2, 3)]
    public void HttpRetries_IsTheNumberOfRetries(int retries, int requests)
    {
        _server.ReplyStatus(500, "The server had an error", times: 10);
        var client = RuntimeOptions.CreateOpenAIClient("sk-test", _server.BaseUrl, httpTimeout: null, httpRetries: retries);
        using var runtime = new Runtime(client);

        Assert.ThrowsAsync<StepModelException>(() => Steps.Create<Kitchen>().PlanAsync("soup"));
        Assert.That(_server.Requests, Has.Count.EqualTo(requests));
    }

    [Test]
    public void HttpTimeout_SilentServer_FailsAfterTheTimeoutWithStepModelException()
    {
        _server.ReplyNever().ReplyNever();
        var client = RuntimeOptions.CreateOpenAIClient("sk-test", _server.BaseUrl, httpTimeout: TimeSpan.FromSeconds(1), httpRetries: 1);
        using var runtime = new Runtime(client);

        var clock = Stopwatch.StartNew();
        var e = Assert.ThrowsAsync<StepModelException>(() => Steps.Create<Kitchen>().PlanAsync("soup"));

        Assert.Multiple(() =>
        {
            Assert.That(e!.StepName, Is.EqualTo("Kitchen.PlanAsync"));
            Assert.That(_server.Requests, Has.Count.EqualTo(2), "one try and one retry, each ending at the timeout");
            Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9)));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "not four tries of 100 s");
        });
    }

    [Test]
    public void Environment_TimeoutAndRetries_ReachTheClientItBuilds()
    {
        _server.ReplyNever();
        var variables = new Dictionary<string, string>
        {
            [RuntimeOptions.BaseUrlVariable] = _server.BaseUrl,
            [RuntimeOptions.HttpTimeoutVariable] = "1.5",
            [RuntimeOptions.HttpRetriesVariable] = "0",
        };
        var options = RuntimeOptions.FromEnvironment(name => variables.GetValueOrDefault(name));
        Assert.That(options.HttpTimeout, Is.EqualTo(TimeSpan.FromSeconds(1.5)));
        Assert.That(options.HttpRetries, Is.Zero);
        using var runtime = new Runtime(options);

        var clock = Stopwatch.StartNew();
        Assert.ThrowsAsync<StepModelException>(() => Steps.Create<Kitchen>().PlanAsync("soup"));

        Assert.That(_server.Requests, Has.Count.EqualTo(1));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void Options_TimeoutAndRetriesSetAfterFromEnvironment_ReachTheClientItBuilt()
    {
        _server.ReplyNever();
        var options = RuntimeOptions.FromEnvironment(name => name == RuntimeOptions.BaseUrlVariable ? _server.BaseUrl : null);
        options.HttpTimeout = TimeSpan.FromSeconds(1);
        options.HttpRetries = 0;
        using var runtime = new Runtime(options);

        var clock = Stopwatch.StartNew();
        Assert.ThrowsAsync<StepModelException>(() => Steps.Create<Kitchen>().PlanAsync("soup"));

        Assert.That(_server.Requests, Has.Count.EqualTo(1));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
    }

    [TestCase(RuntimeOptions.HttpTimeoutVariable, "soon")]
    [TestCase(RuntimeOptions.HttpTimeoutVariable, "0")]
    [TestCase(RuntimeOptions.HttpTimeoutVariable, "-3")]
    [TestCase(RuntimeOptions.HttpRetriesVariable, "-1")]
    [TestCase(RuntimeOptions.HttpRetriesVariable, "two")]
    public void Environment_Nonsense_ThrowsNamingTheVariable(string variable, string value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => RuntimeOptions.FromEnvironment(name => name == variable ? value : null));
        Assert.That(e!.Message, Does.Contain(variable).And.Contain(value));
    }

    [Test]
    public void Options_Nonsense_Throws()
    {
        var options = new RuntimeOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.HttpTimeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.HttpRetries = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => RuntimeOptions.CreateOpenAIClient(null, "http://127.0.0.1:9/v1", TimeSpan.FromSeconds(-1), null));
    }
}
