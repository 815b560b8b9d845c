namespace AgentSteps.Tests.Adversarial;

public class SecretNameAttackTests
{
    private const string Key = "sk-test-1234567890abcdef";

    public class Session
    {
        public string? Jwt { get; set; }

        public string? SessionId { get; set; }

        public string? Auth { get; set; }

        public string? MysqlPwd { get; set; }

        public string? XsrfValue { get; set; }

        public string? Author { get; set; }
    }

    public abstract class Sink
    {
        [Step]
        public virtual object? Take(object? value) => value;
    }

    [Test]
    public void ToJson_MembersLogfireScrubs_AreScrubbedButAuthorIsKept()
    {
        using var runtime = new Runtime(new SampleChatClient());
        var sink = Steps.Create<Sink>();

        sink.Take(new Session { Jwt = Key, SessionId = Key, Auth = Key, MysqlPwd = Key, XsrfValue = Key, Author = "Ada Lovelace" });
        sink.Take(new Dictionary<string, string> { ["x-auth"] = Key, ["session"] = Key });

        var json = runtime.ToJson();
        Assert.That(json, Does.Not.Contain("1234567890abcdef"), "Logfire's default patterns include session, jwt, auth, pwd, csrf/xsrf");
        Assert.That(json, Does.Contain("Ada Lovelace"), "'author' is not 'auth'");
    }
}
