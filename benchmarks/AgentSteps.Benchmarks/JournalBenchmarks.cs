using BenchmarkDotNet.Attributes;

namespace AgentSteps.Benchmarks;

/// <summary>
/// The journal's cost: a 100-step code run journaled to SQLite (WAL) from scratch (100 commits), and the same run
/// resumed (every step replayed; the root made to run again so its children replay one by one).
/// </summary>
[MemoryDiagnoser]
public class JournalBenchmarks
{
    private string _folder = null!;
    private SqliteRunJournal _journal = null!;
    private HundredSteps _workflow = null!;
    private int _run;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "agentsteps-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _journal = new SqliteRunJournal(Path.Combine(_folder, "runs.db"));
        _workflow = Steps.Create<HundredSteps>();
        Run("replayed");
        var root = _journal.GetStepsAsync("replayed").AsTask().GetAwaiter().GetResult()["Run:1"];
        _journal.CommitStepAsync("replayed", root with { Version = "older" }).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _journal.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Description = "Journal: 100 steps committed to SQLite")]
    public int Committed() => Run("run-" + _run++);

    [Benchmark(Description = "Journal: 100 steps replayed from SQLite")]
    public int Replayed() => Run("replayed", keepRootStale: true);

    private int Run(string runId, bool keepRootStale = false)
    {
        int result;
        using (new Runtime(new RuntimeOptions { ChatClient = new FakeChatClient(), Journal = _journal, RunId = runId }))
        {
            result = _workflow.Run(100);
        }

        if (keepRootStale)
        {
            // The root ran again and journaled its new version: make it stale again, so the next resume replays the children.
            var root = _journal.GetStepsAsync(runId).AsTask().GetAwaiter().GetResult()["Run:1"];
            _journal.CommitStepAsync(runId, root with { Version = "older" }).AsTask().GetAwaiter().GetResult();
        }

        return result;
    }
}

/// <summary>A code workflow of one root step calling 100 small steps.</summary>
public abstract class HundredSteps
{
    [Step]
    public virtual int Add(int x, int i) => x + i;

    [Step]
    public virtual int Run(int count)
    {
        int total = 0;
        for (int i = 0; i < count; i++)
        {
            total = Add(total, i);
        }

        return total;
    }
}
