using Flowmesh.Agent.Drill;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Tests.Drill;

/// <summary>The local flow log in a real SQLite file: batches, queries against the rows written, retention, refusals.</summary>
public sealed class FlowLogTests : IDisposable
{
    private const long Epoch = 10_000_000;
    private static readonly long Now = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 / Epoch * Epoch;
    private readonly string _directory = Directory.CreateTempSubdirectory("flowmesh-flowlog-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static FlowRow Row(long epoch, string source, ushort sourcePort, string destination, ushort destinationPort, long bytesOut, long bytesIn = 0, byte protocol = 6, long first = -1) =>
        new(epoch, Epoch, protocol, IpAddress128.Parse(source), sourcePort, IpAddress128.Parse(destination), destinationPort,
            bytesOut, bytesOut / 100 + 1, bytesIn, bytesIn / 100, first < 0 ? epoch + 1 : first, epoch + 5);

    private static FlowQuery Ask(string network, int prefix, long from = 0, long to = long.MaxValue, ushort? port = null, byte? protocol = null, int limit = 1000) =>
        new(from, to, IpAddress128.Parse(network), prefix, port, protocol, limit);

    [Fact]
    public void QueriesMatchTheRowsWritten()
    {
        using var log = FlowLog.Open(_directory);
        FlowRow[] rows =
        [
            Row(Now, "10.0.3.7", 40000, "10.0.1.1", 443, 5000, 700),
            Row(Now, "10.0.1.1", 53, "10.0.3.7", 5353, 300, 0, protocol: 17),
            Row(Now, "10.0.4.9", 40001, "10.0.1.1", 80, 9000),
            Row(Now - Epoch, "10.0.3.8", 1234, "10.0.1.2", 22, 100),
            Row(Now, "fd00::7", 1, "fd00::8", 2, 77),
        ];
        log.Write(rows);
        Assert.Equal(5, log.RowCount());

        var host = log.Query(Ask("10.0.3.7", 128), out bool truncated);
        Assert.False(truncated);
        Assert.Equal([rows[0], rows[1]], host);                 // as written, largest first; source or destination match

        Assert.Equal([rows[0], rows[1], rows[3]], log.Query(Ask("10.0.3.0", 96 + 24), out _));
        Assert.Equal([rows[0]], log.Query(Ask("10.0.3.7", 128, port: 443), out _));
        Assert.Equal([rows[1]], log.Query(Ask("10.0.3.7", 128, protocol: 17), out _));
        Assert.Equal([rows[3]], log.Query(Ask("10.0.3.0", 120, from: Now - Epoch, to: Now), out _)); // only the older epoch
        Assert.Equal([rows[4]], log.Query(Ask("fd00::", 64), out _));
        var limited = log.Query(Ask("10.0.0.0", 96 + 16, limit: 2), out truncated);
        Assert.True(truncated);
        Assert.Equal([rows[2], rows[0]], limited);
        Assert.Equal(Now - Epoch, log.OldestEpochMicros());
    }

    [Fact]
    public void AFlowRecordSpanningEpochsIsOneAnswerWithItsSums()
    {
        using var log = FlowLog.Open(_directory);
        long first = Now - 3 * Epoch + 7;
        byte[] flags = [0x02, 0x12, 0x13]; // SYN, then SYN|ACK, then FIN too: a record's flags only grow
        var epochs = Enumerable.Range(0, 3).Select(i => Row(Now - (3 - i) * Epoch, "10.0.3.7", 40000, "10.0.1.1", 443, 1000 * (i + 1), 10 * (i + 1), first: first) with { TcpFlags = flags[i] }).ToArray();
        foreach (var row in epochs) log.Write([row]);
        // A second flow record on the same 5-tuple (a reconnect) stays separate.
        log.Write([Row(Now, "10.0.3.7", 40000, "10.0.1.1", 443, 1, first: Now + 2)]);

        var answer = log.Query(Ask("10.0.3.7", 128), out _);
        Assert.Equal(2, answer.Count);
        var whole = answer[0];
        Assert.Equal(6000, whole.BytesOut);
        Assert.Equal(60, whole.BytesIn);
        Assert.Equal(epochs.Sum(r => r.PacketsOut), whole.PacketsOut);
        Assert.Equal(first, whole.FirstMicros);
        Assert.Equal(epochs[^1].LastMicros, whole.LastMicros);
        Assert.Equal(Now - 3 * Epoch, whole.EpochStartMicros);
        Assert.Equal(3 * Epoch, whole.EpochLengthMicros);
        Assert.Equal(0x13, whole.TcpFlags);
        // A window holding only the middle epoch sums only that epoch.
        var middle = log.Query(Ask("10.0.3.7", 128, from: Now - 2 * Epoch, to: Now - Epoch), out _).Single();
        Assert.Equal((2000L, (byte)0x12), (middle.BytesOut, middle.TcpFlags));
    }

    [Fact]
    public void RetentionDropsOldEpochsThenWholeOldestEpochsBeyondTheRowCap()
    {
        using var log = FlowLog.Open(_directory, new FlowLogOptions { MaxAge = TimeSpan.FromMinutes(1), MaxRows = 25 });
        // 10 epochs of 4 rows each: epochs 0..9 epochs old.
        for (int age = 9; age >= 0; age--)
            log.Write([.. Enumerable.Range(0, 4).Select(i => Row(Now - age * Epoch, "10.0.3.7", (ushort)i, "10.0.1.1", 80, 10))]);
        long deleted = log.Prune(DateTimeOffset.UnixEpoch.AddTicks(Now * 10));
        // Age: epochs 7, 8, 9 are older than 60 s (start before now - 60 s): 12 rows. Rows: 28 left > 25, so whole oldest
        // epochs go until at most 25 remain: 6 epochs = 24 rows.
        Assert.Equal(16, deleted);
        Assert.Equal(24, log.RowCount());
        Assert.Equal(Now - 5 * Epoch, log.OldestEpochMicros());
        Assert.Equal(16, log.RowsPruned);
    }

    [Fact]
    public void TheByteCapShrinksTheLog()
    {
        using var log = FlowLog.Open(_directory, new FlowLogOptions { MaxFileBytes = 512 * 1024 });
        for (int epoch = 0; epoch < 20; epoch++)
            log.Write([.. Enumerable.Range(0, 1000).Select(i => Row(Now - (20 - epoch) * Epoch, $"10.1.{i / 250}.{i % 250}", (ushort)i, "10.0.1.1", 80, 10))]);
        Assert.True(log.Prune(DateTimeOffset.UnixEpoch.AddTicks(Now * 10)) > 0);
        using var connection = new SqliteConnection($"Data Source={log.Path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        long Pragma(string name)
        {
            using var c = connection.CreateCommand();
            c.CommandText = $"PRAGMA {name}";
            return (long)c.ExecuteScalar()!;
        }
        Assert.True((Pragma("page_count") - Pragma("freelist_count")) * Pragma("page_size") <= 512 * 1024);
        Assert.True(log.RowCount() > 0, "the newest epochs stay");
        Assert.Equal(Now - Epoch, log.Query(Ask("10.0.1.1", 128, from: Now - Epoch, to: Now), out _)[0].EpochStartMicros);
    }

    [Fact]
    public void AForeignSqliteFileIsRefusedAndLeftAlone()
    {
        string path = Path.Combine(_directory, FlowLog.FileName);
        using (var other = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            using var c = other.CreateCommand();
            c.CommandText = "CREATE TABLE mine(x)";
            c.ExecuteNonQuery();
        }
        var before = File.ReadAllBytes(path);
        Assert.Throws<InvalidDataException>(() => FlowLog.Open(_directory));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void TheFileIsOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var log = FlowLog.Open(_directory);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log.Path));
    }

    [Fact]
    public void TheCollectorWritesEachSealedEpochAsOneBatchAndCapsFlowsPerEpoch()
    {
        using var log = FlowLog.Open(_directory, new FlowLogOptions { MaxFlowsPerEpoch = 3 });
        var collector = new FlowCollector(log, _ => { });
        FlowTableDelta Delta(int i) => new(6, IpAddress128.Parse("10.0.3.7"), (ushort)(1000 + i), IpAddress128.Parse("10.0.1.1"), 80,
            2, 200 + i, 1, 60, true, Now + i, Now + i + 1) { TcpFlags = 0x18 };
        collector.Add(Delta(0));
        collector.Add(Delta(1));
        collector.Add(new FlowTableDelta(6, IpAddress128.Parse("10.0.3.7"), 9, IpAddress128.Parse("10.0.1.1"), 80, 0, 0, 0, 0, false, Now, Now)); // no traffic: skipped
        collector.Sealed(new Core.Epochs.EpochId("self", Now, Epoch));
        for (int i = 2; i < 7; i++) collector.Add(Delta(i));
        collector.Sealed(new Core.Epochs.EpochId("self", Now + Epoch, Epoch));
        collector.Dispose();

        Assert.Equal(2, log.BatchesWritten);
        Assert.Equal(5, log.RowsWritten);
        Assert.Equal(2, collector.RowsDropped);
        var rows = log.Query(Ask("10.0.3.7", 128), out _);
        Assert.Equal(5, rows.Count);
        var first = rows.Single(r => r.SourcePort == 1000);
        Assert.Equal((Now, Epoch, 200L, 2L, 60L, 1L, Now, Now + 1), (first.EpochStartMicros, first.EpochLengthMicros, first.BytesOut, first.PacketsOut, first.BytesIn, first.PacketsIn, first.FirstMicros, first.LastMicros));
        Assert.Equal(3, rows.Count(r => r.EpochStartMicros == Now + Epoch));
        Assert.All(rows, r => Assert.Equal(0x18, r.TcpFlags));
    }
}

/// <summary>The capture thread's side of the flow log allocates nothing per delta once its buffer has grown.</summary>
public sealed class FlowCollectorAllocationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowmesh-flowcollector-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AddingDeltasAllocatesNothingInSteadyState()
    {
        using var log = FlowLog.Open(_directory);
        var collector = new FlowCollector(log, _ => { });
        var delta = new FlowTableDelta(6, IpAddress128.Parse("10.0.3.7"), 1, IpAddress128.Parse("10.0.1.1"), 80, 2, 200, 1, 60, true, 1, 2);
        for (int i = 0; i < 5000; i++) collector.Add(delta);       // the buffer grows to its working size
        collector.Sealed(new Core.Epochs.EpochId("self", 10_000_000, 10_000_000));
        SpinWait.SpinUntil(() => log.BatchesWritten == 1, TimeSpan.FromSeconds(10));
        for (int i = 0; i < 5000; i++) collector.Add(delta);
        collector.Sealed(new Core.Epochs.EpochId("self", 20_000_000, 10_000_000));
        SpinWait.SpinUntil(() => log.BatchesWritten == 2, TimeSpan.FromSeconds(10));
        // The third epoch reuses a returned buffer: no growth, no per-delta allocation on this thread.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5000; i++) collector.Add(delta);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        collector.Dispose();
        Assert.Equal(0, allocated);
        Assert.Equal(10_000, log.RowsWritten);
    }
}
