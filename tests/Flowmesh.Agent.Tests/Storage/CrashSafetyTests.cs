using System.Diagnostics;
using System.Globalization;
using Flowmesh.Agent.Storage;
using Flowmesh.Agent.StorageCrashWriter;
using Flowmesh.Core.Epochs;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Tests.Storage;

/// <summary>
/// A real kill -9: a child process writes records and prints each acknowledged id; this test SIGKILLs it at random
/// moments (fixed seed), reopens, and checks that every acknowledged record is there with exactly its bytes.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    private const int Rounds = 10;
    private readonly StorageFixture _fixture = new();

    [Fact]
    public void EveryAcknowledgedRecordSurvivesSigkillAtRandomMoments()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGKILL semantics");
        var random = new Random(20261124);
        var acknowledged = new HashSet<long>();
        byte[]? publicKey = null;
        long lastIncarnation = -1;
        int killedBeforeOpen = 0;

        for (int round = 0; round < Rounds; round++)
        {
            // Even rounds: kill at a random moment from the process start (often inside open or schema creation);
            // odd rounds: at a random moment after the first acknowledged write.
            var child = RunAndKill(round * 1_000_000L, fromStart: round % 2 == 0, TimeSpan.FromMilliseconds(random.Next(20, 600)));
            acknowledged.UnionWith(child.Acknowledged);
            if (child.Incarnation is { } incarnation)
            {
                Assert.True(incarnation > lastIncarnation, $"round {round}: incarnation {incarnation} after {lastIncarnation}");
                lastIncarnation = incarnation;
            }
            else killedBeforeOpen++;

            using (var database = _fixture.Open())
            {
                Assert.True(database.Incarnation > lastIncarnation);
                lastIncarnation = database.Incarnation;
                publicKey ??= database.Identity.PublicKey;
                Assert.Equal(publicKey, database.Identity.PublicKey);
                foreach (var n in acknowledged)
                    Assert.Equal(CrashRecords.Envelope(n), database.Records.Read(CrashRecords.Id(n)));
                // Everything held (acknowledged or written just before the kill) is intact, and the digests agree.
                var held = new List<EpochId>();
                foreach (var digest in database.Records.Digest())
                foreach (var id in database.Records.IdsOf(digest.Origin))
                {
                    long n = (id.StartMicros - CrashRecords.Id(0).StartMicros) / CrashRecords.EpochMicros;
                    Assert.Equal(CrashRecords.Id(n), id);
                    Assert.Equal(CrashRecords.Envelope(n), database.Records.Read(id));
                    held.Add(id);
                }
                Assert.True(held.Count >= acknowledged.Count);
                RecordStoreTests.AssertMatches(database.Records, held);
                if (database.Membership.Load() is { } snapshot) Assert.Equal(5, snapshot.Members.Count);
            }
            Assert.Equal("ok", IntegrityCheck());
        }
        // The test proves something only if the children wrote a fair amount before dying.
        Assert.True(acknowledged.Count >= 50, $"only {acknowledged.Count} records acknowledged over {Rounds} rounds");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"crash test: {acknowledged.Count} acknowledged records over {Rounds} SIGKILLs, {killedBeforeOpen} before open finished");
    }

    private ChildRun RunAndKill(long firstN, bool fromStart, TimeSpan delay)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Flowmesh.Agent.StorageCrashWriter"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(_fixture.DataDirectory);
        start.ArgumentList.Add(firstN.ToString(CultureInfo.InvariantCulture));
        var acknowledged = new List<long>();
        long? incarnation = null;
        using var firstAck = new ManualResetEventSlim();
        var errors = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            // Only complete lines count: a kill can cut the last one short.
            if (e.Data is not { } line || !line.EndsWith(';')) return;
            var parts = line[..^1].Split(' ');
            lock (acknowledged)
            {
                if (parts[0] == "open") incarnation = long.Parse(parts[1], CultureInfo.InvariantCulture);
                if (parts[0] == "ack")
                {
                    acknowledged.Add(long.Parse(parts[1], CultureInfo.InvariantCulture));
                    firstAck.Set();
                }
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!fromStart && !firstAck.Wait(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            Assert.Fail($"the writer acknowledged nothing within 60 s; stderr: {errors}");
        }
        Thread.Sleep(delay);
        bool exitedByItself = process.HasExited;
        process.Kill(); // SIGKILL on Unix: no handler, no flush, no close
        process.WaitForExit();
        Assert.False(exitedByItself, $"the writer exited by itself (code {process.ExitCode}); stderr: {errors}");
        lock (acknowledged) return new ChildRun([.. acknowledged], incarnation);
    }

    private string? IntegrityCheck()
    {
        using var connection = new SqliteConnection($"Data Source={_fixture.DatabasePath};Mode=ReadWrite;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return command.ExecuteScalar() as string;
    }

    private sealed record ChildRun(IReadOnlyList<long> Acknowledged, long? Incarnation);

    public void Dispose() => _fixture.Dispose();
}
