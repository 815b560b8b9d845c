using Microsoft.Data.Sqlite;

namespace AgentSteps.Tests.Journal;

public sealed class SqliteRunJournalTests : RunJournalContractTests
{
    private string _folder = null!;

    private string FilePath => Path.Combine(_folder, "runs.db");

    // NUnit runs a derived class's [TearDown] before the base class's, so this one closes the file itself (Dispose is
    // idempotent) before deleting the folder.
    [TearDown]
    public void DeleteFolder()
    {
        ((SqliteRunJournal)Journal).Dispose();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    protected override IRunJournal CreateJournal()
    {
        _folder = Path.Combine(Path.GetTempPath(), "agentsteps-journal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        return new SqliteRunJournal(FilePath);
    }

    protected override void DestroyJournal(IRunJournal journal) => ((SqliteRunJournal)journal).Dispose();

    [Test]
    public async Task Dispose_Reopened_DataSurvives()
    {
        var step = Step("Root:1/Draft:1");
        await Journal.SaveRunAsync(Run("r1", RunStatus.Suspended, DateTimeOffset.UnixEpoch));
        await Journal.CommitStepAsync("r1", step);
        await Journal.AddPendingAsync("r1", new PendingInput("k", "W.Name", "Name?", null));
        await Journal.AnswerAsync("r1", "k", "Ada");
        ((SqliteRunJournal)Journal).Dispose();

        using var reopened = new SqliteRunJournal(FilePath);

        Assert.That(await reopened.GetRunAsync("r1"), Is.EqualTo(Run("r1", RunStatus.Suspended, DateTimeOffset.UnixEpoch)));
        Assert.That((await reopened.GetStepsAsync("r1"))["Root:1/Draft:1"], Is.EqualTo(step));
        Assert.That(await reopened.GetAnswerAsync("r1", "k"), Is.EqualTo("Ada"));
        Assert.That((await reopened.GetPendingAsync("r1")).Single().Answered, Is.True);
    }

    [Test]
    public void Constructor_NewFile_IsInWalModeWithCurrentSchemaVersion()
    {
        using var connection = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        connection.Open();

        Assert.That(Scalar(connection, "PRAGMA journal_mode"), Is.EqualTo("wal"));
        Assert.That(Scalar(connection, "PRAGMA user_version"), Is.EqualTo(SqliteRunJournal.SchemaVersion));
    }

    [Test]
    public void Constructor_NewerSchemaVersion_RefusedWithClearMessage()
    {
        ((SqliteRunJournal)Journal).Dispose();
        using (var connection = new SqliteConnection($"Data Source={FilePath};Pooling=False"))
        {
            connection.Open();
            Scalar(connection, $"PRAGMA user_version = {SqliteRunJournal.SchemaVersion + 1}");
        }

        var error = Assert.Throws<InvalidOperationException>(() => new SqliteRunJournal(FilePath).Dispose());

        Assert.That(error!.Message, Does.Contain($"schema version {SqliteRunJournal.SchemaVersion + 1}").And.Contain("upgrade"));
    }

    [Test]
    public void Constructor_FolderMissing_ThrowsDirectoryNotFoundExceptionNamingIt()
    {
        var missing = Path.Combine(_folder, "no-such-folder", "runs.db");

        var error = Assert.Throws<DirectoryNotFoundException>(() => new SqliteRunJournal(missing).Dispose());

        Assert.That(error!.Message, Does.Contain(Path.Combine(_folder, "no-such-folder")).And.Contain("does not exist"));
    }

    [Test]
    public void Constructor_NotADatabase_ThrowsInvalidOperationException()
    {
        var path = Path.Combine(_folder, "notes.txt");
        File.WriteAllText(path, new string('x', 4096));

        var error = Assert.Throws<InvalidOperationException>(() => new SqliteRunJournal(path).Dispose());

        Assert.That(error!.Message, Does.Contain("not a SQLite database"));
    }

    [Test]
    public async Task Dispose_ThenCall_ThrowsObjectDisposedException()
    {
        ((SqliteRunJournal)Journal).Dispose();

        Assert.ThrowsAsync<ObjectDisposedException>(async () => await Journal.GetRunAsync("r1"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task TwoJournalsOnOneFile_SeeEachOthersCommits()
    {
        using var second = new SqliteRunJournal(FilePath);

        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < 20; i++) await Journal.CommitStepAsync("r1", Step($"a{i}")); }),
            Task.Run(async () => { for (var i = 0; i < 20; i++) await second.CommitStepAsync("r1", Step($"b{i}")); }));

        Assert.That(await Journal.GetStepsAsync("r1"), Has.Count.EqualTo(40));
        Assert.That(await second.GetStepsAsync("r1"), Has.Count.EqualTo(40));
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is long number ? (int)number : value;
    }
}
