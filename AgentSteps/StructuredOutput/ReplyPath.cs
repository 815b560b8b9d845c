namespace AgentSteps.StructuredOutput;

/// <summary>Spells locations in a reply as JSONPath (<c>$</c>, <c>$.Ingredients[2]</c>), whoever found the problem.</summary>
internal static class ReplyPath
{
    private const int MaxLength = 200;

    /// <summary>Turns a Newtonsoft path (<c>Ingredients[2]</c>, <c>['odd name']</c>) into JSONPath.</summary>
    public static string FromNewtonsoft(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "$";
        }

        return Cap(path[0] == '[' ? "$" + path : "$." + path);
    }

    /// <summary>Turns an NJsonSchema validation path (<c>#/Ingredients[2]</c>, <c>#/a.b</c>) into JSONPath.</summary>
    public static string FromSchema(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "$";
        }

        var rest = path.StartsWith('#') ? path[1..] : path;
        rest = rest.TrimStart('/').Replace('/', '.');
        return FromNewtonsoft(rest);
    }

    /// <summary>Returns the path of the object that holds <paramref name="property"/>, given the property's own path.</summary>
    public static string Parent(string path, string? property)
    {
        if (!string.IsNullOrEmpty(property) && path.EndsWith("." + property, StringComparison.Ordinal))
        {
            return path[..^(property.Length + 1)];
        }

        return path;
    }

    private static string Cap(string path) => path.Length <= MaxLength ? path : string.Concat(path.AsSpan(0, MaxLength), "…");
}
