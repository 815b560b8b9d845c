using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace AgentSteps.Internal;

/// <summary>One-line argument checks, as dotnet/extensions' <c>Throw</c> helper.</summary>
internal static class Throw
{
    public static T IfNull<T>([NotNull] T? argument, [CallerArgumentExpression(nameof(argument))] string? paramName = null)
    {
        if (argument is null)
        {
            throw new ArgumentNullException(paramName);
        }

        return argument;
    }

    public static string IfNullOrWhitespace([NotNull] string? argument, [CallerArgumentExpression(nameof(argument))] string? paramName = null)
    {
        if (string.IsNullOrWhiteSpace(argument))
        {
            throw argument is null
                ? new ArgumentNullException(paramName)
                : new ArgumentException("The value must not be empty or white space.", paramName);
        }

        return argument;
    }

    public static int IfLessThan(int argument, int min, [CallerArgumentExpression(nameof(argument))] string? paramName = null)
    {
        if (argument < min)
        {
            throw new ArgumentOutOfRangeException(paramName, argument, $"The value must be at least {min}.");
        }

        return argument;
    }
}
