using System.Diagnostics;

namespace AgentSteps.Graph;

/// <summary>Runs Graphviz's <c>dot</c> to turn DOT text into an image.</summary>
internal static class GraphvizRenderer
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    public static void Render(string dot, string path, GraphImageFormat format, string? searchPath)
    {
        var executable = FindDot(searchPath) ?? throw new InvalidOperationException(
            "Graphviz's 'dot' was not found on PATH, so the graph cannot be rendered. Install Graphviz " +
            "(Debian/Ubuntu: 'apt-get install graphviz'; macOS: 'brew install graphviz'; Windows: 'winget install graphviz') " +
            "or write the DOT text with ToDot() and render it elsewhere.");

        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-T" + (format == GraphImageFormat.Svg ? "svg" : "png"));
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(Path.GetFullPath(path));

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Graphviz's '{executable}' could not be started.");
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(dot);
        process.StandardInput.Close();
        if (!process.WaitForExit(s_timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"Graphviz's 'dot' did not finish within {s_timeout.TotalSeconds} seconds.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Graphviz's 'dot' failed with exit code {process.ExitCode}: {errors.GetAwaiter().GetResult().Trim()}");
        }
    }

    internal static string? FindDot(string? searchPath)
    {
        var names = OperatingSystem.IsWindows() ? new[] { "dot.exe" } : new[] { "dot" };
        foreach (var directory in (searchPath ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(directory.Trim('"'), name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
