using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Tests.Storage;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Zones;
using static Flowmesh.Agent.Tests.Views.ViewTestTraffic;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>
/// A zoned agent's view covers the whole cluster with each origin record counted once (issue 14, docs/zones.md "The
/// view: one representation per subtree"). Eight PCs in three leaf zones under two sites (s1/za: node-0..2, s1/zb:
/// node-3..4, s2/zc: node-5..7) capture seeded traffic summarized by the real summarizer; the real producers
/// (<see cref="ZoneProducer"/>, lowest alive name per zone) merge and sign the leaf and site aggregates, which are
/// moved between scopes through the real validator. node-1 holds only its leaf's records and the aggregates its scopes
/// replicate; its view is compared with the exact merge of all eight origins' records and with the packets' truth.
/// </summary>
public sealed class ZonedViewSourceTests : IDisposable
{
    private const long Period = 30 * Second;
    private static readonly long Start = T0 + 10 * Second; // a multiple of 30 s
    private static readonly ZonePath Za = ZonePath.Parse("s1/za"), Zb = ZonePath.Parse("s1/zb"), Zc = ZonePath.Parse("s2/zc");
    private static readonly ZonePath S1 = ZonePath.Parse("s1");
    private static readonly ViewTestTraffic Traffic = Generate(seed: 14, origins: 8, start: Start, seconds: 90);
    private readonly Dictionary<string, NodeIdentity> _identities = [];
    private readonly ManualTime _time = new(DateTimeOffset.FromUnixTimeMilliseconds((Start + 3 * Period) / 1000) + TimeSpan.FromSeconds(4));

    public void Dispose()
    {
        foreach (var identity in _identities.Values) identity.Dispose();
    }

    private static ZonePath LeafOf(string origin) => int.Parse(origin.AsSpan(5)) switch { < 3 => Za, < 5 => Zb, _ => Zc };

    private NodeIdentity IdentityOf(string name)
    {
        if (!_identities.TryGetValue(name, out var identity)) _identities[name] = identity = NodeIdentity.Generate();
        return identity;
    }

    private sealed record Node(string Name, Dictionary<ZonePath, AggregateScopeStore> Scopes, ZoneDirectory Directory, ZoneProducer Producer);

    /// <summary>A member of its leaf zone holding its leaf's records, placing every origin, seeing all eight alive.</summary>
    private Node NewNode(string name)
    {
        var leaf = LeafOf(name);
        var records = new MemoryRecordStore();
        foreach (var r in Traffic.Records.Where(r => LeafOf(r.Id.Origin).Equals(leaf)))
            records.Write(new RecordSealer(IdentityOf(r.Id.Origin), new NodeId(r.Id.Origin)).Seal(r));
        var scopes = new Dictionary<ZonePath, AggregateScopeStore>();
        for (int depth = 0; depth < leaf.Depth; depth++)
            scopes[leaf.Prefix(depth)] = new AggregateScopeStore(SyncScope.AggregatesUnder(leaf.Prefix(depth)), Key);
        var directory = new ZoneDirectory(name, leaf);
        foreach (var origin in Traffic.Origins) directory.LearnLeaf(origin, LeafOf(origin));
        var producer = new ZoneProducer(directory, new AggregateSealer(IdentityOf(name), new NodeId(name)), Key,
            new LeafZoneRecordStore(records, origin => directory.IsIn(origin, leaf)), scopes, () => Traffic.Origins, new ZoneProducerOptions(), _time);
        return new Node(name, scopes, directory, producer);
    }

    /// <summary>What replication does: every aggregate of <paramref name="from"/>'s scope, verified, into <paramref name="to"/>'s.</summary>
    private void Replicate(Node from, Node to, ZonePath scope)
    {
        var validator = new AggregateValidator(new TrustedOrigins(), Key, new ReplicationOptions(), _time);
        foreach (var id in from.Scopes[scope].Digest().SelectMany(d => from.Scopes[scope].IdsOf(d.Origin)))
        {
            Assert.True(validator.TryVerify(from.Scopes[scope].Read(id)!, out var verified, out _));
            to.Scopes[scope].Write(verified!);
        }
    }

    /// <summary>The producers of s1/za and s1 (node-0), s1/zb (node-3), s2/zc and s2 (node-5) merge the three periods; node-1 receives what its scopes carry.</summary>
    private Node ObserverWithAggregates()
    {
        var (n0, n3, n5, n1) = (NewNode("node-0"), NewNode("node-3"), NewNode("node-5"), NewNode("node-1"));
        Assert.Equal(3, n3.Producer.Tick()); // s1/zb, three periods
        Assert.Equal(6, n5.Producer.Tick()); // s2/zc and s2 (its only child), three periods
        Replicate(n3, n0, S1);
        Assert.Equal(6, n0.Producer.Tick()); // s1/za and s1
        Replicate(n0, n1, S1);
        Replicate(n0, n1, ZonePath.Root);
        Replicate(n5, n1, ZonePath.Root);
        Assert.Equal(["s1", "s2"], n1.Scopes[ZonePath.Root].All().Select(a => a.Zone.Text).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(["s1/za", "s1/zb"], n1.Scopes[S1].All().Select(a => a.Zone.Text).Distinct().Order(StringComparer.Ordinal));
        return n1;
    }

    private static FakeViewSource LeafSource(IEnumerable<EpochRecord> records, long now) =>
        new([.. records], [.. Traffic.Origins.Select(o => new ExpectedOrigin(o, OriginLiveness.Alive))], now);

    private static GlobalView Exact(ViewWindow window, long now) =>
        GlobalView.Build(Traffic.Records, Traffic.Origins.Select(o => new ExpectedOrigin(o, OriginLiveness.Alive)), now, window,
            GlobalViewOptions.Default with { EpochLength = Epoch });

    [Fact]
    public void A_zoned_view_of_leaf_records_and_aggregates_equals_the_exact_merge_of_every_origins_records()
    {
        var observer = ObserverWithAggregates();
        long now = Core.UnixMicros.Now(_time);
        var source = new ZonedViewSource(LeafSource(Traffic.Records.Where(r => LeafOf(r.Id.Origin).Equals(Za)), now));
        source.UseZones(observer.Directory, observer.Scopes, TimeSpan.FromMicroseconds(Period));
        var window = ViewWindow.Between(Start, Start + 3 * Period);
        var view = new ViewCache(source).Between(window);
        var exact = Exact(window, now);

        // Totals: every origin's traffic exactly once, as the exact merge and as the packets say.
        var (zoned, all) = (view.Totals(), exact.Totals());
        Assert.Equal(Traffic.Bytes, (long)all.Bytes.Value);
        Assert.Equal(all.Bytes.Value, zoned.Bytes.Value);
        Assert.Equal(all.Packets.Value, zoned.Packets.Value);
        Assert.Equal(all.Flows.Value, zoned.Flows.Value);
        foreach (var (zp, ep) in zoned.ByProtocol.Zip(all.ByProtocol)) Assert.Equal(ep.Bytes.Value, zp.Bytes.Value);

        // Top talkers: every listed key's truth (from the packets) inside its bounds, and every key heavier than the
        // unlisted bound listed (the talkers are near ties, so the order may differ from the flat merge's).
        var truth = Traffic.BytesBy(p => p.Source);
        var top = view.Top(TopKind.Talkers, limit: 64);
        Assert.NotEmpty(top.Items);
        foreach (var item in top.Items) Assert.InRange(truth.GetValueOrDefault(item.Label), item.Weight.Lower, item.Weight.Upper);
        foreach (var (key, bytes) in truth.Where(t => t.Value > top.UnlistedBound)) Assert.Contains(top.Items, i => i.Label == key);
        Assert.True(truth.Count(t => t.Value > top.UnlistedBound) >= 10, $"unlisted bound {top.UnlistedBound}");
        Assert.Contains(top.Items.Take(10), i => LeafOf(Traffic.Packets.First(p => p.Source == i.Label).Origin).Equals(Zc)); // another site's PCs are in it

        // Coverage: the own leaf's three PCs from records, s1/zb's leaf aggregate and s2's site aggregate for the rest.
        var z = view.Coverage.Zones!;
        Assert.Equal(3, z.RecordOrigins);
        Assert.Equal(["s1/zb", "s2"], z.Zones);
        Assert.Equal(6, z.Aggregates);
        Assert.Equal(Traffic.Records.Count(r => !LeafOf(r.Id.Origin).Equals(Za)), z.AggregatedRecords);
        Assert.Equal(["node-3", "node-4"], z.AggregatedOrigins); // s2's aggregate lists its child zone, not its PCs
        Assert.Empty(z.MissingFromAggregates);
        Assert.Equal(0, z.RecordsLeftOut);
        Assert.True(view.Coverage.IsComplete, view.Coverage.Summary);
        Assert.Equal(Start + 3 * Period, z.NewestAggregateEndMicros);
        Assert.Contains("aggregates of 2 zones", view.Coverage.Summary);
        Assert.DoesNotContain("not in membership", view.Coverage.Summary);

        // `flowmesh zones` at the top: s1 through s1/zb's aggregate (za's PCs name no zone in these test records, so
        // they are unplaced), s2 through its site aggregate, members placed by the directory; aggregates' "@zone" are no origins.
        var census = ZoneCensus.Of(view, ZonePath.Root);
        Assert.Equal(["s1", "s2"], census.Zones.Select(c => c.Zone.Text));
        Assert.Equal(["node-3", "node-4"], census.Zones[0].Members);
        Assert.Equal((2, 2, 2), (census.Zones[0].Origins, census.Zones[0].Alive, census.Zones[0].Reporting));
        Assert.Equal(["node-5", "node-6", "node-7"], census.Zones[1].Members);
        Assert.Equal((3, 3, 3), (census.Zones[1].Origins, census.Zones[1].Alive, census.Zones[1].Reporting));
        Assert.Equal(TimeSpan.FromSeconds(4), census.Zones[1].NewestDataAge);
        Assert.Equal(["node-0", "node-1", "node-2"], census.Unplaced.Members);
        var below = ZoneCensus.Of(view, S1);
        Assert.Equal(["s1/zb"], below.Zones.Select(c => c.Zone.Text));
    }

    [Fact]
    public void Records_of_other_zones_held_too_are_not_counted_twice_and_a_ragged_window_leaves_out_only_what_it_must()
    {
        var observer = ObserverWithAggregates();
        long now = Core.UnixMicros.Now(_time);
        // From before zone replication, node-1 still holds every record of node-3 (s1/zb) and node-6 (s2/zc).
        var held = Traffic.Records.Where(r => LeafOf(r.Id.Origin).Equals(Za) || r.Id.Origin is "node-3" or "node-6").ToList();
        var source = new ZonedViewSource(LeafSource(held, now));
        source.UseZones(observer.Directory, observer.Scopes, TimeSpan.FromMicroseconds(Period));
        var exact = Exact(ViewWindow.Between(Start, Start + 3 * Period), now);
        Assert.Equal(exact.Totals().Bytes.Value, new ViewCache(source).Between(ViewWindow.Between(Start, Start + 3 * Period)).Totals().Bytes.Value);

        // A window starting inside the first period: that period's aggregates cannot be split, so other zones count from
        // the second period on (through aggregates), except the records held of node-3 and node-6, which no aggregate of
        // the window overlaps there; the own leaf counts from the window's start. Never more than once.
        var ragged = ViewWindow.Between(Start + 10 * Second, Start + 3 * Period);
        var view = new ViewCache(source).Between(ragged);
        long expected = Traffic.Packets.Where(p => p.Micros >= ragged.FromMicros && p.Micros < ragged.ToMicros
            && (LeafOf(p.Origin).Equals(Za) || p.Origin is "node-3" or "node-6" || p.Micros >= Start + Period)).Sum(p => (long)p.IpLength);
        Assert.Equal(expected, (long)view.Totals().Bytes.Value);
        Assert.Equal(0, view.Coverage.Zones!.RecordsLeftOut);
    }

    [Fact]
    public void Until_zones_are_used_the_view_is_the_flat_one()
    {
        long now = Core.UnixMicros.Now(_time);
        var window = ViewWindow.Between(Start, Start + 3 * Period);
        var flat = new ViewCache(LeafSource(Traffic.Records, now)).Between(window);
        var wrapped = new ViewCache(new ZonedViewSource(LeafSource(Traffic.Records, now))).Between(window);
        Assert.Null(wrapped.Coverage.Zones);
        Assert.Equal(flat.Coverage.Summary, wrapped.Coverage.Summary);
        Assert.Equal(flat.Totals().Bytes.Value, wrapped.Totals().Bytes.Value);
        Assert.Equal(flat.Top(TopKind.Talkers).Items.Select(i => (i.Label, i.Weight.Lower, i.Weight.Upper)), wrapped.Top(TopKind.Talkers).Items.Select(i => (i.Label, i.Weight.Lower, i.Weight.Upper)));
    }

    [Fact]
    public void The_coverage_document_and_line_say_what_came_from_records_and_from_aggregates_how_old_and_who_is_missing()
    {
        var observer = ObserverWithAggregates();
        observer.Directory.LearnLeaf("node-8", Zb); // alive in s1/zb, but its producer merged no record of it
        long now = Core.UnixMicros.Now(_time);
        var inner = new FakeViewSource([.. Traffic.Records.Where(r => LeafOf(r.Id.Origin).Equals(Za))],
            [.. Traffic.Origins.Append("node-8").Select(o => new ExpectedOrigin(o, OriginLiveness.Alive))], now);
        var source = new ZonedViewSource(inner);
        source.UseZones(observer.Directory, observer.Scopes, TimeSpan.FromMicroseconds(Period));
        var view = new ViewCache(source).Between(ViewWindow.Between(Start, Start + 3 * Period));

        var response = ViewDocuments.Traffic(view);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(response, ApiJsonContext.Default.TrafficResponse));
        var zones = json.RootElement.GetProperty("coverage").GetProperty("zones");
        Assert.Equal(3, zones.GetProperty("recordOrigins").GetInt32());
        Assert.Equal(4.0, zones.GetProperty("newestRecordAgeSeconds").GetDouble()); // records end at the window's end, 4 s ago
        Assert.Equal(4.0, zones.GetProperty("newestAggregateAgeSeconds").GetDouble());
        Assert.Equal(["s1/zb", "s2"], zones.GetProperty("zones").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(6, zones.GetProperty("aggregates").GetInt32());
        Assert.Equal(Traffic.Records.Count(r => !LeafOf(r.Id.Origin).Equals(Za)), zones.GetProperty("aggregatedRecords").GetInt64());
        Assert.Equal(["node-8"], zones.GetProperty("missingFromAggregates").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("3 of 3 origins, newest data 4 s old, per-PC records of 3 origins (newest 4 s old), aggregates of 2 zones with 45 origin records (newest 4 s old), 1 missing from their zone's aggregates",
            json.RootElement.GetProperty("coverage").GetProperty("summary").GetString());

        var line = new StringWriter();
        ViewOutput.CoverageLine(line, response.Coverage, response.Window);
        Assert.EndsWith("; missing from zone aggregates: node-8\n", line.ToString());

        // A flat agent's document has no "zones" member at all: its JSON is unchanged.
        var flat = new ViewCache(LeafSource(Traffic.Records, now)).Between(ViewWindow.Between(Start, Start + 3 * Period));
        Assert.DoesNotContain("\"zones\"", JsonSerializer.Serialize(ViewDocuments.Traffic(flat), ApiJsonContext.Default.TrafficResponse));
    }
}
