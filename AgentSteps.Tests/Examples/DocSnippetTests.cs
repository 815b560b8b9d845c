using System.Text.RegularExpressions;

namespace AgentSteps.Tests;

/// <summary>
/// Every C# block of README.md and docs/ is compiled code: its lines appear, in order and whole (leading and trailing
/// spaces aside, since the code sits inside a method there), in a file of AgentSteps.Examples/Snippets, which the build
/// compiles. README's example is a whole Program.cs, compiled as its own console app, character for character.
/// </summary>
public sealed partial class DocSnippetTests
{
    private static readonly string s_root = RepositoryRoot.Path;

    public static IEnumerable<TestCaseData> Blocks() =>
        new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(s_root, "docs"), "*.md").Select(p => Path.Combine("docs", Path.GetFileName(p))))
            .SelectMany(doc => CSharpBlocks(File.ReadAllText(Path.Combine(s_root, doc)))
                .Select((block, i) => new TestCaseData(doc, block).SetName($"DocBlock_IsCompiledInSnippets({doc} #{i + 1})")));

    [TestCaseSource(nameof(Blocks))]
    public void DocBlock_IsCompiledInSnippets(string doc, string block)
    {
        var lines = Normalize(block);
        var snippets = Directory.GetFiles(Path.Combine(s_root, "AgentSteps.Examples", "Snippets"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

        var found = snippets.Where(p => Contains(Normalize(File.ReadAllText(p)), lines)).Select(Path.GetFileName).ToList();

        Assert.That(found, Is.Not.Empty,
            $"This block of {doc} is in no file of AgentSteps.Examples/Snippets, so nothing proves it compiles; put it there whole:\n{block}");
    }

    [Test]
    public void ReadmeExample_IsTheWholeProgramOfTheReadmeProject()
    {
        var example = CSharpBlocks(File.ReadAllText(Path.Combine(s_root, "README.md"))).Single(b => b.StartsWith("using ", StringComparison.Ordinal));
        var program = File.ReadAllText(Path.Combine(s_root, "AgentSteps.Examples", "Snippets", "Readme", "Program.cs"));

        Assert.That(example.ReplaceLineEndings("\n"), Is.EqualTo(program.ReplaceLineEndings("\n")));
    }

    private static IEnumerable<string> CSharpBlocks(string markdown) =>
        CSharpBlock().Matches(markdown.ReplaceLineEndings("\n")).Select(m => m.Groups["code"].Value);

    private static string[] Normalize(string code) => code.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').Select(l => l.Trim()).ToArray();

    private static bool Contains(string[] file, string[] block)
    {
        for (int start = 0; start + block.Length <= file.Length; start++)
        {
            if (file.AsSpan(start, block.Length).SequenceEqual(block))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
