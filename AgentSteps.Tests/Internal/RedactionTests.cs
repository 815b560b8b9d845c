using AgentSteps.Internal;

namespace AgentSteps.Tests;

public class RedactionTests
{
    [TestCase("header Authorization: Bearer abc.def-ghi_123 was sent", "header Authorization: Bearer *** was sent")]
    [TestCase("Incorrect API key provided: sk-proj-AbCdEf0123456789.", "Incorrect API key provided: ***.")]
    [TestCase("https://user:sk-secret@host.example/v1", "https://***@host.example/v1")]
    [TestCase("https://host.example/v1?api-key=s3cr3t&x=1", "https://host.example/v1?api-key=***&x=1")]
    [TestCase("nothing to hide here", "nothing to hide here")]
    public void Redact_TextWithASecret_ReplacesOnlyTheSecret(string text, string expected)
    {
        Assert.That(Redaction.Redact(text), Is.EqualTo(expected));
    }

    [TestCase("https//user:hunter2@host/v1", "https//***@host/v1")]
    [TestCase("http:/user:hunter2@host/v1", "***@host/v1")]
    [TestCase("ftp://host/v1?sig=opaque&x=1", "ftp://host/v1?***")]
    [TestCase("localhost:11434", "localhost:11434")]
    public void RedactUrl_MalformedUrlWithCredentials_MasksUserInformationAndQuery(string url, string expected)
    {
        Assert.That(Redaction.RedactUrl(url), Is.EqualTo(expected));
    }

    [Test]
    public void Redact_RegisteredKeyOfAnyShape_IsRemoved()
    {
        Redaction.Register("azure0123456789abcdef");

        Assert.That(Redaction.Redact("the key azure0123456789abcdef is invalid"), Is.EqualTo("the key *** is invalid"));
    }

    [Test]
    public void Sanitize_ChainWithASecret_ReturnsARedactedCopyKeepingTheTypeNames()
    {
        var original = new InvalidOperationException("outer", new HttpRequestException("Bearer sk-abcdefghijklmnop"));

        var sanitized = Redaction.Sanitize(original);

        Assert.That(sanitized.ToString(), Does.Not.Contain("abcdefghijklmnop"));
        Assert.That(sanitized.InnerException!.Message, Does.Contain(typeof(HttpRequestException).FullName));
        var clean = new InvalidOperationException("no secret");
        Assert.That(Redaction.Sanitize(clean), Is.SameAs(clean));
    }
}
