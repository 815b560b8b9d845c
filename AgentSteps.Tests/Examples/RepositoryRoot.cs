namespace AgentSteps.Tests;

/// <summary>Finds files of the repository from the test's output folder, for tests of the docs and examples.</summary>
internal static class RepositoryRoot
{
    /// <summary>Gets the folder that holds AgentSteps.sln.</summary>
    public static string Path { get; } = Find();

    /// <summary>Gets the build configuration the tests run in (the output folder's parent, such as Debug).</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar)).Parent!.Name;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AgentSteps.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No AgentSteps.sln above {AppContext.BaseDirectory}.");
    }
}
