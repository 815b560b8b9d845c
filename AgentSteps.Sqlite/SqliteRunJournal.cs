using System.Globalization;
using Microsoft.Data.Sqlite;

namespace AgentSteps;

/// <summary>
/// An <see cref="IRunJournal"/> that keeps runs in one SQLite file, so that they survive the process: a host resumes
/// the runs a crash cut short, and a suspended run waits for its answers across restarts.
/// </summary>
/// <remarks>
/// <para>
/// The file is in WAL mode with <c>synchronous=FULL</c>: each method's write is committed and synced to disk before its
/// task completes, so it survives a process crash and also an operating-system crash or power loss. (<c>NORMAL</c>
/// would be enough for a process crash only, and may lose the last commits on power loss.)
/// </para>
/// <para>
/// The journal holds one connection and lets one operation use it at a time, so it is safe to call from several threads
/// at once. Other processes may open the same file: a write that finds the file locked waits up to
/// <see cref="BusyTimeout"/>.
/// </para>
/// <para>
/// The journal creates its tables and records their version in the file (<c>PRAGMA user_version</c>); a file written by
/// a newer AgentSteps.Sqlite is refused rather than misread.
/// </para>
/// </remarks>
public sealed class SqliteRunJournal : IRunJournal, IDisposable
{
    /// <summary>The version of the tables this journal writes (<c>PRAGMA user_version</c>).</summary>
    public const int SchemaVersion = 1;

    /// <summary>How long a write waits for another process's lock on the file before it fails.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private const string RunColumns = "run_id, status, workflow_type, root_step, arguments_json, created_ticks, created_offset, updated_ticks, updated_offset";

    private const string StepColumns = "key, step, argument_hash, version, result_json, exception_type, exception_message, "
        + "input_tokens, output_tokens, model_calls, started_ticks, started_offset, duration_ticks";

    private readonly Lock _lock = new();
    private readonly SqliteConnection _connection;
    private bool _disposed;

    /// <summary>Opens the journal in the SQLite file at <paramref name="path"/>, creating the file and its tables when needed.</summary>
    /// <param name="path">The journal file's path. Its folder must exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="InvalidOperationException">The file is not a journal this version can read: not a SQLite database, or written with a newer schema version.</exception>
    public SqliteRunJournal(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(fullPath);
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(
                $"The folder '{folder}' of the journal file '{path}' does not exist; create it first or give a path in an existing folder.");
        }

        Path = fullPath;
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,

            // The journal keeps its one connection open; pooling would only keep the file open after Dispose.
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();

        _connection = new SqliteConnection(connectionString);
        try
        {
            _connection.Open();
            Initialize();
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 /* SQLITE_NOTADB */)
        {
            _connection.Dispose();
            throw new InvalidOperationException($"The file '{path}' is not a SQLite database, so it cannot be a run journal; give the path of a journal file or of a new file.", e);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <summary>Gets the full path of the journal file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public ValueTask<JournaledRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            using var command = Command($"SELECT {RunColumns} FROM runs WHERE run_id = $run_id", ("$run_id", runId));
            using var reader = command.ExecuteReader();
            return ValueTask.FromResult(reader.Read() ? ReadRun(reader) : null);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<JournaledRun>> ListRunsAsync(RunStatus? status = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            using var command = status is null
                ? Command($"SELECT {RunColumns} FROM runs ORDER BY created_ticks, rowid")
                : Command($"SELECT {RunColumns} FROM runs WHERE status = $status ORDER BY created_ticks, rowid", ("$status", status.Value.ToString()));
            using var reader = command.ExecuteReader();
            var runs = new List<JournaledRun>();
            while (reader.Read())
            {
                runs.Add(ReadRun(reader));
            }

            return ValueTask.FromResult<IReadOnlyList<JournaledRun>>(runs);
        }
    }

    /// <inheritdoc/>
    public ValueTask SaveRunAsync(JournaledRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrEmpty(run.RunId, nameof(run));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            // An upsert that leaves created_* alone: a resumed run keeps its creation time (and its rowid, its place in the list).
            using var command = Command(
                $"""
                INSERT INTO runs ({RunColumns})
                VALUES ($run_id, $status, $workflow_type, $root_step, $arguments_json, $created_ticks, $created_offset, $updated_ticks, $updated_offset)
                ON CONFLICT (run_id) DO UPDATE SET
                    status = excluded.status, workflow_type = excluded.workflow_type, root_step = excluded.root_step,
                    arguments_json = excluded.arguments_json, updated_ticks = excluded.updated_ticks, updated_offset = excluded.updated_offset
                """,
                ("$run_id", run.RunId),
                ("$status", run.Status.ToString()),
                ("$workflow_type", run.WorkflowType),
                ("$root_step", run.RootStep),
                ("$arguments_json", run.ArgumentsJson),
                ("$created_ticks", run.CreatedAt.UtcTicks),
                ("$created_offset", OffsetMinutes(run.CreatedAt)),
                ("$updated_ticks", run.UpdatedAt.UtcTicks),
                ("$updated_offset", OffsetMinutes(run.UpdatedAt)));
            command.ExecuteNonQuery();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask CommitStepAsync(string runId, JournaledStep step, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(step.Key, nameof(step));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            using var command = Command(
                $"""
                INSERT OR REPLACE INTO steps (run_id, {StepColumns})
                VALUES ($run_id, $key, $step, $argument_hash, $version, $result_json, $exception_type, $exception_message,
                        $input_tokens, $output_tokens, $model_calls, $started_ticks, $started_offset, $duration_ticks)
                """,
                ("$run_id", runId),
                ("$key", step.Key),
                ("$step", step.Step),
                ("$argument_hash", step.ArgumentHash),
                ("$version", step.Version),
                ("$result_json", step.ResultJson),
                ("$exception_type", step.ExceptionType),
                ("$exception_message", step.ExceptionMessage),
                ("$input_tokens", step.InputTokens),
                ("$output_tokens", step.OutputTokens),
                ("$model_calls", step.ModelCalls),
                ("$started_ticks", step.StartedAt.UtcTicks),
                ("$started_offset", OffsetMinutes(step.StartedAt)),
                ("$duration_ticks", step.Duration.Ticks));
            command.ExecuteNonQuery();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyDictionary<string, JournaledStep>> GetStepsAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            using var command = Command($"SELECT {StepColumns} FROM steps WHERE run_id = $run_id", ("$run_id", runId));
            using var reader = command.ExecuteReader();
            var steps = new Dictionary<string, JournaledStep>(StringComparer.Ordinal);
            while (reader.Read())
            {
                var step = new JournaledStep(
                    Key: reader.GetString(0),
                    Step: reader.GetString(1),
                    ArgumentHash: reader.GetString(2),
                    Version: reader.GetString(3),
                    ResultJson: NullableString(reader, 4),
                    ExceptionType: NullableString(reader, 5),
                    ExceptionMessage: NullableString(reader, 6),
                    InputTokens: reader.GetInt64(7),
                    OutputTokens: reader.GetInt64(8),
                    ModelCalls: reader.GetInt32(9),
                    StartedAt: ReadTime(reader, 10),
                    Duration: TimeSpan.FromTicks(reader.GetInt64(12)));
                steps[step.Key] = step;
            }

            return ValueTask.FromResult<IReadOnlyDictionary<string, JournaledStep>>(steps);
        }
    }

    /// <inheritdoc/>
    /// <remarks>A question that has already been answered is kept as it is, with its answer.</remarks>
    public ValueTask AddPendingAsync(string runId, PendingInput request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Key, nameof(request));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            using var command = Command(
                """
                INSERT INTO pending (run_id, key, step, question, answer_schema, answer)
                VALUES ($run_id, $key, $step, $question, $answer_schema, NULL)
                ON CONFLICT (run_id, key) DO UPDATE SET
                    step = excluded.step, question = excluded.question, answer_schema = excluded.answer_schema
                WHERE pending.answer IS NULL
                """,
                ("$run_id", runId),
                ("$key", request.Key),
                ("$step", request.Step),
                ("$question", request.Question),
                ("$answer_schema", request.AnswerSchema));
            command.ExecuteNonQuery();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<PendingInput>> GetPendingAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            using var command = Command(
                "SELECT key, step, question, answer_schema, answer IS NOT NULL FROM pending WHERE run_id = $run_id ORDER BY rowid",
                ("$run_id", runId));
            using var reader = command.ExecuteReader();
            var pending = new List<PendingInput>();
            while (reader.Read())
            {
                pending.Add(new PendingInput(reader.GetString(0), reader.GetString(1), reader.GetString(2), NullableString(reader, 3), reader.GetBoolean(4)));
            }

            return ValueTask.FromResult<IReadOnlyList<PendingInput>>(pending);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With no <see cref="PendingInput.AnswerSchema"/> the answer is text and is stored as given. Answering again
    /// replaces the answer.
    /// </remarks>
    public async ValueTask AnswerAsync(string runId, string key, string answerJson, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(answerJson);

        var request = FindPending(runId, key)
            ?? throw new KeyNotFoundException($"Run '{runId}' has no question under key '{key}'; answer one of the keys that GetPendingAsync lists.");

        // Validated outside the lock: parsing the schema is async, and a key's question does not change once asked.
        await AnswerValidator.ValidateAsync(runId, request, answerJson, cancellationToken).ConfigureAwait(false);

        lock (_lock)
        {
            using var command = Command(
                "UPDATE pending SET answer = $answer WHERE run_id = $run_id AND key = $key",
                ("$run_id", runId),
                ("$key", key),
                ("$answer", answerJson));
            command.ExecuteNonQuery();
        }
    }

    /// <inheritdoc/>
    public ValueTask<string?> GetAnswerAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            using var command = Command("SELECT answer FROM pending WHERE run_id = $run_id AND key = $key", ("$run_id", runId), ("$key", key));
            return ValueTask.FromResult(command.ExecuteScalar() as string);
        }
    }

    /// <summary>Closes the journal file. Calls after this one throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _disposed = true;
                _connection.Dispose();
            }
        }
    }

    private static int OffsetMinutes(DateTimeOffset time) => (int)time.Offset.TotalMinutes;

    private static DateTimeOffset ReadTime(SqliteDataReader reader, int ticksOrdinal)
    {
        var utc = new DateTimeOffset(reader.GetInt64(ticksOrdinal), TimeSpan.Zero);
        return utc.ToOffset(TimeSpan.FromMinutes(reader.GetInt32(ticksOrdinal + 1)));
    }

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static JournaledRun ReadRun(SqliteDataReader reader) => new(
        RunId: reader.GetString(0),
        Status: Enum.Parse<RunStatus>(reader.GetString(1)),
        WorkflowType: NullableString(reader, 2),
        RootStep: NullableString(reader, 3),
        ArgumentsJson: NullableString(reader, 4),
        CreatedAt: ReadTime(reader, 5),
        UpdatedAt: ReadTime(reader, 7));

    private PendingInput? FindPending(string runId, string key)
    {
        lock (_lock)
        {
            using var command = Command(
                "SELECT key, step, question, answer_schema, answer IS NOT NULL FROM pending WHERE run_id = $run_id AND key = $key",
                ("$run_id", runId),
                ("$key", key));
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new PendingInput(reader.GetString(0), reader.GetString(1), reader.GetString(2), NullableString(reader, 3), reader.GetBoolean(4))
                : null;
        }
    }

    // Called under _lock. Every value goes in as a parameter; the SQL text is always one of this class's constants.
    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var command = _connection.CreateCommand();
#pragma warning disable CA2100 // The SQL text is built from this class's constants only; values are parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private void Initialize()
    {
        // journal_mode cannot change inside a transaction, and is kept by the file; synchronous and the busy timeout
        // belong to the connection.
        using (var pragmas = Command(
            $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"))
        {
            pragmas.ExecuteNonQuery();
        }

        // BEGIN IMMEDIATE: two processes opening a new file at once create the tables once, one after the other.
        using var transaction = _connection.BeginTransaction(deferred: false);
        var version = Convert.ToInt32(Scalar("PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException(
                $"The journal file '{Path}' has schema version {version}, newer than version {SchemaVersion} that this AgentSteps.Sqlite reads; "
                + "upgrade the AgentSteps.Sqlite package to open it.");
        }

        if (version < SchemaVersion)
        {
            // Version 0 is a new (or empty) file; later versions will migrate from the one found here.
            using var create = Command(
                $"""
                CREATE TABLE IF NOT EXISTS runs (
                    run_id TEXT NOT NULL PRIMARY KEY,
                    status TEXT NOT NULL,
                    workflow_type TEXT,
                    root_step TEXT,
                    arguments_json TEXT,
                    created_ticks INTEGER NOT NULL,
                    created_offset INTEGER NOT NULL,
                    updated_ticks INTEGER NOT NULL,
                    updated_offset INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created_ticks);
                CREATE TABLE IF NOT EXISTS steps (
                    run_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    step TEXT NOT NULL,
                    argument_hash TEXT NOT NULL,
                    version TEXT NOT NULL,
                    result_json TEXT,
                    exception_type TEXT,
                    exception_message TEXT,
                    input_tokens INTEGER NOT NULL,
                    output_tokens INTEGER NOT NULL,
                    model_calls INTEGER NOT NULL,
                    started_ticks INTEGER NOT NULL,
                    started_offset INTEGER NOT NULL,
                    duration_ticks INTEGER NOT NULL,
                    PRIMARY KEY (run_id, key)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS pending (
                    run_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    step TEXT NOT NULL,
                    question TEXT NOT NULL,
                    answer_schema TEXT,
                    answer TEXT,
                    PRIMARY KEY (run_id, key));
                PRAGMA user_version = {SchemaVersion};
                """);
            create.Transaction = transaction;
            create.ExecuteNonQuery();
        }

        transaction.Commit();

        object? Scalar(string sql)
        {
            using var command = Command(sql);
            command.Transaction = transaction;
            return command.ExecuteScalar();
        }
    }
}
