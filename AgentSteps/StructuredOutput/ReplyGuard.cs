using System.Globalization;
using AgentSteps.Inspection;

namespace AgentSteps.StructuredOutput;

/// <summary>Refuses a reply longer than the step's <see cref="StepAttribute.MaxReplyLength"/> before anything reads it whole.</summary>
internal static class ReplyGuard
{
    /// <exception cref="StepOutputException">The reply is longer than the step accepts.</exception>
    public static void ThrowIfTooLong(StepDescriptor descriptor, string reply, int attempts)
    {
        int max = descriptor.Attribute.MaxReplyLength;
        if (reply.Length > max)
        {
            throw new StepOutputException(
                descriptor.QualifiedName,
                reply,
                [string.Create(CultureInfo.InvariantCulture, $"$: the reply is {reply.Length:N0} characters long, more than the step's MaxReplyLength of {max:N0}; raise MaxReplyLength on its [Step] attribute or ask for a shorter output")],
                attempts);
        }
    }
}
