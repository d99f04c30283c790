using System.Text.Json;
using Flowmesh.Agent.Drill;
using Flowmesh.Agent.Output;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Tests.Drill;

/// <summary>
/// Host context in drill-down: its byte block (flow log column and reply), the reply flag that keeps older agents
/// working, the flow log's schema upgrade and per-record join, and the JSON fields of `flowmesh flows`.
/// </summary>
public sealed class FlowContextDrillTests : IDisposable
{
    private const long Epoch = 10_000_000;
    private static readonly long Now = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 / Epoch * Epoch;
    private readonly string _directory = Directory.CreateTempSubdirectory("flowmesh-context-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static FlowHostContext Full(int rtt = 51_000, int min = 50_000, int max = 53_000, long retransmits = 2, string? dns = "example.lan", long dropped = 3) => new()
    {
        Process = new ProcessIdentity(4242, "curl", AttributionSource.KernelSocketHook)
        {
            Path = "/usr/bin/curl", UserId = 1000, User = "alice", Unit = "user@1000.service", CgroupId = 77,
        },
        Tcp = new TcpPathStats(rtt, min, max, retransmits),
        DnsName = dns,
        Drops = dropped == 0 ? [] : [new DropReasonCount("NETFILTER_DROP", dropped)],
    };

    /// <summary>Every field a block carries (the cgroup id stays on the PC: it means nothing elsewhere).</summary>
    private static string Describe(FlowHostContext? c) => c is null ? "null" :
        $"{c.Process?.Pid}|{c.Process?.Name}|{c.Process?.Path}|{c.Process?.UserId}|{c.Process?.User}|{c.Process?.Unit}|{c.Process?.Source}|" +
        $"{c.Tcp}|{c.DnsName}|{string.Join(",", c.Drops)}";

    [Fact]
    public void TheBlockRoundTripsEveryPartAndEachPartAlone()
    {
        FlowHostContext[] cases =
        [
            Full(),
            new() { Process = new ProcessIdentity(1, "nmap", AttributionSource.PacketSocketOwner) },
            new() { Tcp = new TcpPathStats(1, 1, 1, 0) },
            new() { DnsName = "xn--bcher-kva.example" },
            new() { Drops = [new DropReasonCount("TCP_INVALID_SEQUENCE", 1), new DropReasonCount("NO_SOCKET", 9)] },
        ];
        foreach (var context in cases)
        {
            var bytes = FlowContextCodec.Encode(context);
            Assert.True(FlowContextCodec.TryDecode(bytes, out var decoded, out string? error), error);
            Assert.Equal(Describe(context), Describe(decoded));
        }
        Assert.Empty(FlowContextCodec.Encode(null));
        Assert.True(FlowContextCodec.TryDecode([], out var none, out _));
        Assert.Null(none);
    }

    [Fact]
    public void LongStringsAreCutOnWholeCharactersToTheirCaps()
    {
        var context = new FlowHostContext
        {
            Process = new ProcessIdentity(5, new string('é', 100), AttributionSource.SocketTable) { Path = "/" + new string('x', 5000) },
            DnsName = new string('a', 400),
        };
        var bytes = FlowContextCodec.Encode(context);
        Assert.True(bytes.Length <= FlowContextCodec.MaxBytes);
        Assert.True(FlowContextCodec.TryDecode(bytes, out var decoded, out _));
        Assert.Equal(new string('é', FlowContextCodec.MaxNameBytes / 2), decoded!.Process!.Name);
        Assert.Equal(FlowContextCodec.MaxPathBytes, decoded.Process.Path!.Length);
        Assert.Equal(FlowContextCodec.MaxDnsBytes, decoded.DnsName!.Length);
    }

    [Fact]
    public void TruncatedRandomAndHostileBlocksAreRefusedWithAReasonAndNeverThrow()
    {
        var bytes = FlowContextCodec.Encode(Full());
        for (int n = 1; n < bytes.Length; n++)
        {
            Assert.False(FlowContextCodec.TryDecode(bytes.AsSpan(0, n), out _, out string? error), $"prefix {n}");
            Assert.False(string.IsNullOrEmpty(error));
        }
        Assert.False(FlowContextCodec.TryDecode([.. bytes, 0], out _, out string? trailing));
        Assert.Contains("after the context", trailing);
        Assert.False(FlowContextCodec.TryDecode([0x10], out _, out string? parts));
        Assert.Contains("unknown context parts", parts);
        // A drop count of 2^63-1, a 4000-byte name claimed, invalid UTF-8, 200 drop reasons.
        var huge = FlowContextCodec.Encode(new FlowHostContext { Drops = [new DropReasonCount("X", 1)] });
        huge.AsSpan(huge.Length - 8).Fill(0x7F);
        Assert.False(FlowContextCodec.TryDecode(huge, out _, out _));
        Assert.False(FlowContextCodec.TryDecode([4, 0x0F, 0xA0, .. new byte[4000]], out _, out string? longName));
        Assert.Contains("at most", longName);
        Assert.False(FlowContextCodec.TryDecode([4, 0, 2, 0xC3, 0x28], out _, out string? utf8));
        Assert.Contains("UTF-8", utf8);
        Assert.False(FlowContextCodec.TryDecode([8, 200], out _, out _));
        var random = new Random(17);
        for (int i = 0; i < 20_000; i++)
        {
            var noise = new byte[random.Next(0, 64)];
            random.NextBytes(noise);
            if (noise.Length > 0) noise[0] &= 15;
            FlowContextCodec.TryDecode(noise, out _, out _);
        }
    }

    private static FlowRow Row(int i, FlowHostContext? context) => new(Now - i * Epoch, Epoch, 6,
        IpAddress128.Parse("10.0.3.7"), (ushort)(40000 + i), IpAddress128.Parse("10.0.1.1"), 443, 1000L * i, i, 2000L * i, 2L * i, Now - i * Epoch + 1, Now - i * Epoch + 5)
    { TcpFlags = 0x1B, Context = context };

    [Fact]
    public void ARepliesCarryContextOnlyWhenAskedAndAnOldAgentsRequestGetsAnOldReply()
    {
        var query = new FlowQuery(0, long.MaxValue / 2, IpAddress128.Parse("10.0.3.7"), 128, null, null, 100);
        var request = FlowQueryCodec.EncodeRequest(query, withContext: true);
        Assert.Equal(query, FlowQueryCodec.DecodeRequest(request, out bool wanted, out _));
        Assert.True(wanted);
        Assert.Equal(query, FlowQueryCodec.DecodeRequest(FlowQueryCodec.EncodeRequest(query), out wanted, out _));
        Assert.False(wanted);

        FlowRow[] rows = [Row(1, Full()), Row(2, null), Row(3, new FlowHostContext { DnsName = "b.lan" })];
        var reply = new FlowQueryReply(rows, false, false, Now);
        var withContext = FlowQueryCodec.DecodeReply(FlowQueryCodec.EncodeReply(reply, withContext: true), out string? error);
        Assert.Null(error);
        Assert.Equal(rows.Select(r => Describe(r.Context)), withContext!.Rows.Select(r => Describe(r.Context)));
        Assert.Equal(rows.Select(r => r with { Context = null }), withContext.Rows.Select(r => r with { Context = null }));

        // Without the flag the reply is byte for byte what a build before host context sent (fixed-size rows).
        var old = FlowQueryCodec.EncodeReply(reply);
        Assert.Equal(15 + 3 * FlowQueryCodec.RowBytes, old.Length);
        Assert.All(FlowQueryCodec.DecodeReply(old, out _)!.Rows, r => Assert.Null(r.Context));

        var bytes = FlowQueryCodec.EncodeReply(reply, withContext: true);
        for (int n = 2; n < bytes.Length; n++) Assert.Null(FlowQueryCodec.DecodeReply(bytes.AsSpan(0, n), out _));
        Assert.Null(FlowQueryCodec.DecodeReply([.. bytes, 1], out string? trailing));
        Assert.NotNull(trailing);
    }

    /// <summary>"new" serves context; "old" refuses the context flag as a build before host context does (no reply).</summary>
    private sealed class MixedVersionStreams(FlowQueryServer server) : IGossipStreams
    {
        public int OldRequests;

        public async Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            if (to.Value == "old:7946")
            {
                Interlocked.Increment(ref OldRequests);
                if ((request.Span[35] & ~3) != 0) return null; // "unknown request flags": dropped without a reply
            }
            return await server.HandleAsync(new NodeId("asker"), request, cancellationToken);
        }
    }

    [Fact]
    public async Task ADrillDownGetsContextFromNewAgentsAndStillTheRowsOfOldOnes()
    {
        using var log = FlowLog.Open(_directory);
        log.Write([Row(1, Full())]);
        var streams = new MixedVersionStreams(new FlowQueryServer(log));
        Member M(string name) => new(new NodeId(name), new GossipAddress(name + ":7946"), 1, MemberState.Alive, TimeSpan.Zero);
        IReadOnlyList<Member> members = [M("new"), M("old")];
        var drill = new FlowDrill(new NodeId("asker"), new FlowQueryServer(null), () => members, streams);
        var result = await drill.AskAsync(new FlowQuery(Now - 10 * Epoch, Now + Epoch, IpAddress128.Parse("10.0.3.7"), 128, null, null, 100), members,
            TestContext.Current.CancellationToken);
        Assert.Equal(["new", "old"], result.Answered.Order());
        Assert.Equal(Describe(Full()), Describe(Assert.Single(result.Flows, f => f.Origin == "new").Row.Context));
        Assert.Null(Assert.Single(result.Flows, f => f.Origin == "old").Row.Context);
        Assert.Equal(2, streams.OldRequests); // asked with the flag, refused at once, asked again without it
    }

    [Fact]
    public void AVersionOneFlowLogGainsTheContextColumnAndKeepsItsRows()
    {
        string path = Path.Combine(_directory, FlowLog.FileName);
        using (var v1 = new SqliteConnection($"Data Source={path}"))
        {
            v1.Open();
            using var create = v1.CreateCommand();
            create.CommandText = """
                CREATE TABLE flows(
                    epoch_us INTEGER NOT NULL, length_us INTEGER NOT NULL, protocol INTEGER NOT NULL,
                    src BLOB NOT NULL, sport INTEGER NOT NULL, dst BLOB NOT NULL, dport INTEGER NOT NULL,
                    bytes_out INTEGER NOT NULL, packets_out INTEGER NOT NULL, bytes_in INTEGER NOT NULL, packets_in INTEGER NOT NULL,
                    first_us INTEGER NOT NULL, last_us INTEGER NOT NULL, tcp_flags INTEGER NOT NULL);
                PRAGMA application_id = 1179469388; PRAGMA user_version = 1;
                """;
            create.ExecuteNonQuery();
            using var insert = v1.CreateCommand();
            insert.CommandText = "INSERT INTO flows VALUES ($e, 10000000, 6, $s, 40000, $d, 443, 100, 1, 200, 2, $e, $e, 2)";
            insert.Parameters.AddWithValue("$e", Now);
            insert.Parameters.AddWithValue("$s", FlowLog.Bytes(IpAddress128.Parse("10.0.3.7")));
            insert.Parameters.AddWithValue("$d", FlowLog.Bytes(IpAddress128.Parse("10.0.1.1")));
            insert.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        using var log = FlowLog.Open(_directory);
        log.Write([Row(1, Full())]);
        var rows = log.Query(new FlowQuery(0, long.MaxValue / 2, IpAddress128.Parse("10.0.3.7"), 128, null, null, 100), out _);
        Assert.Equal(2, rows.Count);
        Assert.Null(Assert.Single(rows, r => r.SourcePort == 40000).Context);
        Assert.Equal(Describe(Full()), Describe(Assert.Single(rows, r => r.SourcePort == 40001).Context));
    }

    [Fact]
    public void AFlowRecordOverSeveralEpochsTakesTheNewestProcessAndRttAndSumsRetransmitsAndDrops()
    {
        using var log = FlowLog.Open(_directory);
        // One flow record (same 5-tuple and first packet) over three epochs; the middle one had no context.
        FlowRow Epoch(int back, FlowHostContext? context) => Row(1, context) with
        {
            EpochStartMicros = Now - back * FlowContextDrillTests.Epoch, FirstMicros = Now - 3 * FlowContextDrillTests.Epoch + 1, LastMicros = Now - back * FlowContextDrillTests.Epoch + 5,
        };
        log.Write([Epoch(2, Full(rtt: 40_000, min: 30_000, max: 45_000, retransmits: 1, dns: "old.lan", dropped: 2))]);
        log.Write([Epoch(1, null)]);
        log.Write([Epoch(0, Full(rtt: 60_000, min: 55_000, max: 70_000, retransmits: 4, dns: null, dropped: 5))]);

        var row = Assert.Single(log.Query(new FlowQuery(0, long.MaxValue / 2, IpAddress128.Parse("10.0.3.7"), 128, null, null, 100), out _));
        Assert.Equal(new TcpPathStats(60_000, 30_000, 70_000, 5), row.Context!.Tcp);
        Assert.Equal("old.lan", row.Context.DnsName);
        Assert.Equal([new DropReasonCount("NETFILTER_DROP", 7)], row.Context.Drops);
        Assert.Equal("curl", row.Context.Process!.Name);
    }

    [Fact]
    public void FlowsJsonCarriesTheContextFieldsAndLeavesUnknownOnesOut()
    {
        var record = new FlowRecord
        {
            Protocol = 6, SourceAddress = IpAddress128.Parse("10.0.3.7"), SourcePort = 40000, DestinationAddress = IpAddress128.Parse("10.0.1.1"), DestinationPort = 443,
            Packets = 3, Bytes = 180, StartMicros = Now, EndMicros = Now + 1,
        };
        using var output = new MemoryStream();
        using (var writer = new JsonLinesFlowWriter(output))
        {
            writer.Write(record.WithContext(Full()));
            writer.Write(record);
            writer.Write(record.WithContext(new FlowHostContext { DnsName = "only.lan" }));
            writer.Complete();
        }
        var lines = System.Text.Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var full = lines[0];
        Assert.Equal(4242, full.GetProperty("process").GetProperty("pid").GetInt32());
        Assert.Equal("curl", full.GetProperty("process").GetProperty("name").GetString());
        Assert.Equal("/usr/bin/curl", full.GetProperty("process").GetProperty("path").GetString());
        Assert.Equal("alice", full.GetProperty("process").GetProperty("user").GetString());
        Assert.Equal("user@1000.service", full.GetProperty("process").GetProperty("unit").GetString());
        Assert.Equal("ebpf-socket", full.GetProperty("process").GetProperty("source").GetString());
        Assert.Equal(51_000, full.GetProperty("rtt_us").GetInt32());
        Assert.Equal(50_000, full.GetProperty("rtt_min_us").GetInt32());
        Assert.Equal(53_000, full.GetProperty("rtt_max_us").GetInt32());
        Assert.Equal(2, full.GetProperty("retransmits").GetInt64());
        Assert.Equal("example.lan", full.GetProperty("dns_name").GetString());
        Assert.Equal("NETFILTER_DROP", full.GetProperty("drops")[0].GetProperty("reason").GetString());
        string[] contextFields = ["process", "rtt_us", "rtt_min_us", "rtt_max_us", "retransmits", "dns_name", "drops"];
        Assert.All(contextFields, f => Assert.False(lines[1].TryGetProperty(f, out _), f));
        Assert.Equal(["dns_name"], contextFields.Where(f => lines[2].TryGetProperty(f, out _)));
    }
}
