using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Views;

/// <summary>
/// The whole network over one time window, built from the records a node holds: every origin's records merged
/// exactly once (<see cref="WindowSelection"/>), and answers that each carry their error bound and the window's
/// <see cref="ViewCoverage"/>. Pure computation: no I/O, no clock (the caller passes "now"). Immutable once built and
/// safe to query from several threads.
/// </summary>
public sealed partial class GlobalView
{
    private readonly GlobalViewOptions _options;
    private readonly EpochContents? _merged;
    private readonly TrafficCounters _all;
    private readonly TrafficCounters[] _byProtocol;
    private readonly Dictionary<string, List<EpochRecord>> _byOrigin;
    private readonly Dictionary<string, CoveredSlots> _coveredSlots;
    private readonly Dictionary<string, OriginLiveness> _expected;
    private readonly Dictionary<string, long> _since;
    private readonly long _firstSlot;
    private readonly long _settledEnd;
    private readonly TrafficCounters _monitor;
    private readonly LeftToPeerUse _leftUsed;
    private readonly CountedTwiceUse _countedTwice;
    private readonly CrossCheckCoverage _crossCheck;

    private GlobalView(GlobalViewOptions options, ViewWindow window, long nowMicros, WindowSelection selection, Dictionary<string, OriginLiveness> expected, Dictionary<string, long> since, SlotMergeCache? slots,
        List<EpochRecord> laterReports, ZoneViewCoverage? zones = null)
    {
        _options = options;
        Window = window;
        NowMicros = nowMicros;
        _expected = expected;
        _since = since;
        Records = selection.Chosen;
        _byOrigin = new Dictionary<string, List<EpochRecord>>(StringComparer.Ordinal);
        foreach (var record in selection.Chosen)
        {
            if (!_byOrigin.TryGetValue(record.Id.Origin, out var list)) _byOrigin[record.Id.Origin] = list = [];
            list.Add(record);
        }
        // Slot by slot (WindowSlots): every record is still summed exactly once, and a cache lets a rebuilt window
        // merge again only the slots whose records changed.
        var merge = WindowSlots.Merge(selection.Chosen, window, options.EpochMicros, slots, options.CrossCheck);
        _merged = merge?.Merged;
        _leftUsed = merge?.LeftUsed ?? new LeftToPeerUse();
        _crossCheck = merge?.CrossCheck.ToCoverage() ?? CrossCheckCoverage.None;
        _byProtocol = _merged is null ? new TrafficCounters[ProtocolClasses.Count] : (TrafficCounters[])_merged.ByProtocol.Clone();
        if (merge is not null)
            for (int i = 0; i < _byProtocol.Length; i++) _byProtocol[i] += merge.UnlistedByProtocol[i];
        // Traffic two agents both counted (one learned of the other's address late) is taken out once.
        _countedTwice = CountedTwiceUse.Of(_byOrigin, laterReports);
        for (int i = 0; i < _byProtocol.Length; i++) _byProtocol[i] = CountedTwiceUse.Less(_byProtocol[i], _countedTwice.ByProtocol[i]);
        foreach (var c in _byProtocol) _all += c;
        _monitor = (_merged?.Extensions.Monitor ?? default) + (merge?.UnlistedMonitor ?? default);

        long epoch = options.EpochMicros;
        _firstSlot = EpochRollup.AlignDown(window.FromMicros + epoch - 1, epoch);
        long settledLimit = Math.Min(window.ToMicros, nowMicros - options.SettleMicros);
        _settledEnd = Math.Max(_firstSlot, EpochRollup.AlignDown(settledLimit, epoch));
        _coveredSlots = new Dictionary<string, CoveredSlots>(StringComparer.Ordinal);
        // An origin is expected from its first record (or from when it joined) on: epochs before are not gaps.
        foreach (var (origin, records) in _byOrigin)
            _coveredSlots[origin] = new CoveredSlots(records, epoch, _firstSlot, _settledEnd);
        Coverage = BuildCoverage(selection) with { Zones = zones };
    }

    /// <summary>
    /// Builds the view of <paramref name="window"/> from <paramref name="records"/> (any order, duplicates allowed,
    /// any origins) given the origins membership knows (<paramref name="expected"/>; a name listed twice keeps its
    /// last state) and the current time.
    /// </summary>
    /// <remarks>
    /// With <paramref name="slots"/>, slots merged by earlier builds from the same records are reused and the ones merged
    /// now are kept; the view is the same with or without it (<see cref="SlotMergeCache"/>). Records that end after
    /// the window are not merged, but their "counted twice" reports about the window's epochs are taken out: a caller
    /// building a window that ended in the past passes the records of up to <see cref="LateOwnershipLedger.DefaultHorizon"/>
    /// after it too (<see cref="LateReportsUntil"/>). A zoned node passes <paramref name="zones"/>, what its records and
    /// aggregates contributed (<see cref="Zones.ZonedWindow"/>); the coverage carries it.
    /// </remarks>
    public static GlobalView Build(IEnumerable<EpochRecord> records, IEnumerable<ExpectedOrigin> expected, long nowMicros, ViewWindow window, GlobalViewOptions? options = null, SlotMergeCache? slots = null,
        ZoneViewCoverage? zones = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(expected);
        options ??= GlobalViewOptions.Default;
        options.Validate();
        if (window.FromMicros >= window.ToMicros)
            throw new ArgumentException($"A window needs from < to (got {window.FromMicros} .. {window.ToMicros} µs).", nameof(window));
        var states = new Dictionary<string, OriginLiveness>(StringComparer.Ordinal);
        var since = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var e in expected)
        {
            ArgumentNullException.ThrowIfNull(e.Origin, nameof(expected));
            states[e.Origin] = e.State;
            if (e.SinceMicros is { } from) since[e.Origin] = from;
            else since.Remove(e.Origin);
        }
        var preferred = CoarsestCover.PreferredLongest(window.LengthMicros, options.MinSeriesPoints, options.EpochMicros);
        var all = records as IReadOnlyCollection<EpochRecord> ?? records.ToList();
        // Records after the window are not merged; their "counted twice" reports about the window's epochs are used.
        var laterReports = all.Where(r => r.Id.EndMicros > window.ToMicros && r.Contents.Extensions.CountedTwice is not null).ToList();
        return new GlobalView(options, window, nowMicros, WindowSelection.Select(all, window, preferred, options.SketchSettings), states, since, slots, laterReports, zones);
    }

    /// <summary>
    /// The end of the records worth reading for a window's late "counted twice" reports: a peer reports at its first
    /// seal after it learns of the owner, within its ledger's horizon of the epoch, so nothing later than that (and
    /// nothing after <paramref name="nowMicros"/>) can concern the window.
    /// </summary>
    public static long LateReportsUntil(ViewWindow window, long nowMicros, TimeSpan epochLength)
    {
        long epoch = UnixMicros.FromDuration(epochLength);
        long horizon = Math.Max(UnixMicros.FromDuration(LateOwnershipLedger.DefaultHorizon), LateOwnershipLedger.MinEpochsKept * epoch) + epoch;
        return Math.Max(window.ToMicros, Math.Min(nowMicros, window.ToMicros + horizon));
    }

    public ViewWindow Window { get; }
    public long NowMicros { get; }
    public ViewCoverage Coverage { get; }

    /// <summary>The records merged, each exactly once, by origin then start.</summary>
    public IReadOnlyList<EpochRecord> Records { get; }

    private Caveats Caveats => Coverage.Caveats;

    public TotalsAnswer Totals()
    {
        var cav = Caveats;
        var byProtocol = Enum.GetValues<ProtocolClass>()
            .Select(p => new ProtocolTotals(p, Measured.Of(_byProtocol[(int)p].Bytes, 0, cav), Measured.Of(_byProtocol[(int)p].Packets, 0, cav), Measured.Of(_byProtocol[(int)p].Flows, 0, cav)))
            .ToList();
        TimeSpan span = Records.Count == 0 ? TimeSpan.Zero : Span(Records.Min(r => r.Id.StartMicros), Records.Max(r => r.Id.EndMicros));
        double seconds = span.TotalSeconds;
        return new TotalsAnswer(
            Measured.Of(_all.Bytes, 0, cav), Measured.Of(_all.Packets, 0, cav), Measured.Of(_all.Flows, 0, cav), byProtocol, span,
            Measured.Of(seconds > 0 ? _all.Bytes * 8.0 / seconds : 0, 0, cav),
            Measured.Of(seconds > 0 ? _all.Packets / seconds : 0, 0, cav),
            Coverage)
        {
            Monitor = new MonitorTotals(Measured.Of(_monitor.Bytes, 0, cav), Measured.Of(_monitor.Packets, 0, cav), Measured.Of(_monitor.Flows, 0, cav)),
        };
    }

    /// <summary>A record may claim any valid interval (a file or a peer says so): a span beyond what TimeSpan holds is its maximum.</summary>
    private static TimeSpan Span(long fromMicros, long toMicros)
    {
        Int128 micros = (Int128)toMicros - fromMicros;
        return micros >= UnixMicros.FromDuration(TimeSpan.MaxValue) ? TimeSpan.MaxValue : UnixMicros.ToDuration((long)micros);
    }

    /// <summary>
    /// Totals per bucket over the window. Without <paramref name="bucket"/>, the shortest ladder length that keeps the
    /// series within <see cref="GlobalViewOptions.MaxSeriesPoints"/>; never shorter than the longest merged record
    /// (a record is counted whole in the bucket where it starts).
    /// </summary>
    public SeriesAnswer Series(TimeSpan? bucket = null)
    {
        long longest = Records.Count == 0 ? 0 : Records.Max(r => r.Id.LengthMicros);
        long minimum = Math.Max(longest, (Window.LengthMicros + _options.MaxSeriesPoints - 1) / _options.MaxSeriesPoints);
        long bucketMicros;
        if (bucket is { } b)
        {
            bucketMicros = UnixMicros.FromDuration(b);
            if (bucketMicros <= 0) throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "must be positive");
            if (bucketMicros < longest)
                throw new ArgumentOutOfRangeException(nameof(bucket), bucket, $"shorter than the longest merged record ({UnixMicros.ToDuration(longest)}); records cannot be split");
            if (Window.LengthMicros / bucketMicros > 100_000)
                throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "more than 100,000 points in the window");
        }
        else
        {
            var ladder = _options.BucketLadder.Select(UnixMicros.FromDuration).Order().ToList();
            bucketMicros = ladder.FirstOrDefault(l => l >= minimum);
            if (bucketMicros == 0) bucketMicros = (minimum + ladder[^1] - 1) / ladder[^1] * ladder[^1];
        }

        var cav = Caveats & ~Caveats.IncompleteCoverage;
        long epoch = _options.EpochMicros;
        var sums = new Dictionary<long, (TrafficCounters Counters, HashSet<string> Origins)>();
        foreach (var r in Records)
        {
            long start = EpochRollup.AlignDown(r.Id.StartMicros, bucketMicros);
            if (!sums.TryGetValue(start, out var s)) s = (default, new HashSet<string>(StringComparer.Ordinal));
            s.Origins.Add(r.Id.Origin);
            sums[start] = (s.Counters + r.Totals.All, s.Origins);
        }
        // Traffic counted from "left to peer" sections (owners without a record) lands in the bucket of its epoch.
        foreach (var (epochStart, counters) in _leftUsed.ByEpoch)
        {
            long start = EpochRollup.AlignDown(epochStart, bucketMicros);
            if (!sums.TryGetValue(start, out var s)) s = (default, new HashSet<string>(StringComparer.Ordinal));
            sums[start] = (s.Counters + counters, s.Origins);
        }
        foreach (var (epochStart, counters) in _countedTwice.ByEpoch)
        {
            long start = EpochRollup.AlignDown(epochStart, bucketMicros);
            if (sums.TryGetValue(start, out var s)) sums[start] = (CountedTwiceUse.Less(s.Counters, counters), s.Origins);
        }
        var points = new List<SeriesPoint>();
        for (long start = EpochRollup.AlignDown(Window.FromMicros, bucketMicros); start < Window.ToMicros; start += bucketMicros)
        {
            sums.TryGetValue(start, out var s);
            bool complete = true;
            foreach (var (origin, state) in _expected)
            {
                if (state == OriginLiveness.Left) continue;
                _coveredSlots.TryGetValue(origin, out var covered);
                for (long slot = Math.Max(start, FirstExpectedSlot(origin)); slot < start + bucketMicros && slot < _settledEnd; slot += epoch)
                {
                    if (covered is null || !covered.Contains(slot)) { complete = false; break; }
                }
                if (!complete) break;
            }
            var pointCaveats = cav | (complete ? Caveats.None : Caveats.IncompleteCoverage);
            double seconds = UnixMicros.ToSeconds(bucketMicros);
            points.Add(new SeriesPoint(start, bucketMicros,
                Measured.Of(s.Counters.Bytes, 0, pointCaveats), Measured.Of(s.Counters.Packets, 0, pointCaveats), Measured.Of(s.Counters.Flows, 0, pointCaveats),
                Measured.Of(s.Counters.Bytes * 8.0 / seconds, 0, pointCaveats), Measured.Of(s.Counters.Packets / seconds, 0, pointCaveats),
                s.Origins?.Count ?? 0, complete, start + bucketMicros <= _settledEnd));
        }
        return new SeriesAnswer(UnixMicros.ToDuration(bucketMicros), points, Coverage);
    }

    /// <summary>
    /// The heaviest <paramref name="limit"/> keys of <paramref name="kind"/> by <paramref name="measure"/>. With
    /// <paramref name="excludeMonitor"/>, Flowmesh's own traffic is taken out of talkers, destinations and pairs (and of
    /// the total): each key loses its listed monitor traffic exactly, and its lower bound also the monitor traffic no
    /// record listed per pair. Flows and ports cannot leave it out (ArgumentException).
    /// </summary>
    public TopAnswer Top(TopKind kind, TrafficMeasure measure = TrafficMeasure.Bytes, int limit = 10, bool excludeMonitor = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (excludeMonitor && kind is TopKind.Flows or TopKind.Ports)
            throw new ArgumentException("Only talkers, destinations and pairs can leave out the monitor's own traffic.", nameof(excludeMonitor));
        var cav = Caveats;
        double total = measure == TrafficMeasure.Bytes ? _all.Bytes : _all.Packets;
        double monitorTotal = measure == TrafficMeasure.Bytes ? _monitor.Bytes : _monitor.Packets;
        if (excludeMonitor) total = Math.Max(0, total - monitorTotal);
        var totalMeasured = Measured.Of(total, 0, cav);
        if (_merged is null) return new TopAnswer(kind, measure, [], totalMeasured, 0, Coverage);
        if (kind == TopKind.Ports) return TopPorts(measure, limit, total, totalMeasured, cav);

        var summary = _merged.Top[EpochContents.TopIndex(kind, measure)];
        // Traffic of left flows past the listing caps (owner missing) is in the totals but in no sketch: any key may hold it.
        double widen = measure == TrafficMeasure.Bytes ? _leftUsed.UnlistedBytes : _leftUsed.UnlistedPackets;
        // Traffic counted twice and taken out of the totals is still in both origins' sketches: any key may hold it.
        double twice = measure == TrafficMeasure.Bytes ? _countedTwice.All.Bytes : _countedTwice.All.Packets;
        Dictionary<TrafficKey, double>? own = excludeMonitor ? MonitorByKey(kind, measure) : null;
        double ownUnlisted = 0;
        if (own is not null)
        {
            double listed = 0;
            foreach (var p in _merged.Extensions.MonitorPairs) listed += measure == TrafficMeasure.Bytes ? p.Bytes : p.Packets;
            ownUnlisted = Math.Max(0, monitorTotal - listed);
        }
        var items = summary.Items()
            .Select(h =>
            {
                var key = TrafficKey.Decode(h.Key);
                double lower = Math.Max(0, h.Lower - twice), upper = h.Upper + widen;
                if (own is not null)
                {
                    double o = own.GetValueOrDefault(key);
                    lower = Math.Max(0, lower - o - ownUnlisted);
                    upper = Math.Max(0, upper - o);
                }
                var weight = Measured.Between(lower, upper, cav);
                return new TopItem(key.ToString(), key, weight, Share(weight, total, cav));
            })
            .Where(i => own is null || i.Weight.Upper > 0)
            .OrderByDescending(i => i.Weight.Value).ThenBy(i => i.Label, StringComparer.Ordinal)
            .Take(limit).ToList();
        return new TopAnswer(kind, measure, items, totalMeasured, summary.UntrackedBound + widen, Coverage);
    }

    /// <summary>Listed monitor traffic per key of <paramref name="kind"/> (talker: by sender, destination: by receiver, pair: exact).</summary>
    private Dictionary<TrafficKey, double> MonitorByKey(TopKind kind, TrafficMeasure measure)
    {
        var result = new Dictionary<TrafficKey, double>();
        foreach (var p in _merged!.Extensions.MonitorPairs)
        {
            var key = kind switch
            {
                TopKind.Talkers => new TrafficKey(TrafficKeyShape.Address, p.Source, default, 0, 0, 0),
                TopKind.Destinations => new TrafficKey(TrafficKeyShape.Address, p.Destination, default, 0, 0, 0),
                _ => new TrafficKey(TrafficKeyShape.Pair, p.Source, p.Destination, 0, 0, 0),
            };
            result[key] = result.GetValueOrDefault(key) + (measure == TrafficMeasure.Bytes ? p.Bytes : p.Packets);
        }
        return result;
    }

    /// <summary>
    /// Ports from the top-flows list: a port's traffic is at least the lower bounds of its listed flows, and at most
    /// that plus everything the listed flows' lower bounds leave unattributed (R = total - all listed lower bounds).
    /// </summary>
    private TopAnswer TopPorts(TrafficMeasure measure, int limit, double total, Measured totalMeasured, Caveats cav)
    {
        var flows = _merged!.Top[EpochContents.TopIndex(TopKind.Flows, measure)].Items();
        double attributed = flows.Sum(f => (double)f.Lower);
        double unattributed = Math.Max(0, total - attributed);
        var items = flows
            .Select(f => TrafficKey.Decode(f.Key) is var key ? (Key: key, f.Lower) : default)
            .Where(f => IpProtocol.HasPorts(f.Key.Protocol))
            .GroupBy(f => (f.Key.Protocol, f.Key.DestinationPort))
            .Select(g =>
            {
                double lower = g.Sum(f => (double)f.Lower);
                var key = new TrafficKey(TrafficKeyShape.FiveTuple, default, default, g.Key.Protocol, 0, g.Key.DestinationPort);
                var weight = Measured.Between(lower, Math.Min(total, lower + unattributed), cav);
                return new TopItem($"{ProtocolName(g.Key.Protocol)}/{g.Key.DestinationPort}", key, weight, Share(weight, total, cav));
            })
            .OrderByDescending(i => i.Weight.Value).ThenBy(i => i.Label, StringComparer.Ordinal)
            .Take(limit).ToList();
        return new TopAnswer(TopKind.Ports, measure, items, totalMeasured, unattributed, Coverage);
    }

    private static Measured Share(Measured weight, double total, Caveats cav) =>
        total > 0 ? Measured.Of(weight.Value / total, weight.ErrorBound / total, cav) : Measured.Of(0, 0, cav);

    private static string ProtocolName(byte protocol) => protocol switch
    {
        IpProtocol.Tcp => "tcp",
        IpProtocol.Udp => "udp",
        IpProtocol.Sctp => "sctp",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public DistinctAnswer Distinct(DistinctKind kind)
    {
        if (_merged is null) return new DistinctAnswer(kind, Measured.Of(0, 0, Caveats), Coverage);
        return new DistinctAnswer(kind, SketchBounds.Distinct(_merged.Distinct[(int)kind], Caveats), Coverage);
    }

    /// <summary>
    /// Traffic matrix between IPv4 /<paramref name="ipv4Prefix"/> and IPv6 /<paramref name="ipv6Prefix"/> blocks
    /// (hosts: 32 and 128). Prefixes up to /24 and /64 aggregate the records' subnet matrices; longer ones use the
    /// top-pairs lists (see <see cref="MatrixBasis"/>).
    /// </summary>
    public MatrixAnswer Matrix(int ipv4Prefix = 24, int ipv6Prefix = 64, int limit = 50)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ipv4Prefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ipv4Prefix, 32);
        ArgumentOutOfRangeException.ThrowIfNegative(ipv6Prefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ipv6Prefix, 128);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var cav = Caveats;
        bool fromMatrix = ipv4Prefix <= 24 && ipv6Prefix <= 64;
        var basis = fromMatrix ? MatrixBasis.SubnetMatrix : MatrixBasis.TopPairs;
        if (_merged is null)
            return new MatrixAnswer(ipv4Prefix, ipv6Prefix, basis, [], Measured.Of(0, 0, cav), Measured.Of(0, 0, cav), Coverage);
        AddressPrefix Block(IpAddress128 a) => AddressPrefix.Of(a, a.IsIPv4 ? 96 + ipv4Prefix : ipv6Prefix);
        bool IsHost(IpAddress128 a) => a.IsIPv4 ? ipv4Prefix == 32 : ipv6Prefix == 128;

        List<MatrixItem> cells;
        double unattributedBytes, unattributedPackets;
        if (fromMatrix)
        {
            var m = _merged.Matrix;
            unattributedBytes = m.RemainderBytes;
            unattributedPackets = m.RemainderPackets;
            // At the matrix's own prefixes a block is one cell with its own bounds. A wider block may also hold cells the
            // merged matrix no longer lists, whose traffic is somewhere in the remainder: its bound is [sum of lower, that + remainder].
            bool ownPrefixes = ipv4Prefix == 24 && ipv6Prefix == 64;
            cells = m.Cells.GroupBy(c => (Source: Block(c.Source.Network), Destination: Block(c.Destination.Network)))
                .Select(g =>
                {
                    double bl = g.Sum(c => (double)c.BytesLower), pl = g.Sum(c => (double)c.PacketsLower);
                    double bu = ownPrefixes ? g.Sum(c => (double)c.BytesUpper) : bl + m.RemainderBytes;
                    double pu = ownPrefixes ? g.Sum(c => (double)c.PacketsUpper) : pl + m.RemainderPackets;
                    return new MatrixItem(g.Key.Source, g.Key.Destination, Measured.Between(bl, bu, cav), Measured.Between(pl, pu, cav));
                }).ToList();
        }
        else
        {
            var bytes = _merged.Top[EpochContents.TopIndex(TopKind.Pairs, TrafficMeasure.Bytes)];
            var packets = _merged.Top[EpochContents.TopIndex(TopKind.Pairs, TrafficMeasure.Packets)];
            var byteItems = bytes.Items().Select(h => (Key: TrafficKey.Decode(h.Key), h.Lower, h.Upper)).ToList();
            var packetItems = packets.Items().Select(h => (Key: TrafficKey.Decode(h.Key), h.Lower, h.Upper)).ToList();
            unattributedBytes = Math.Max(0, _all.Bytes - byteItems.Sum(i => (double)i.Lower));
            unattributedPackets = Math.Max(0, _all.Packets - packetItems.Sum(i => (double)i.Lower));
            var byteCells = byteItems.GroupBy(i => (Block(i.Key.Source), Block(i.Key.Destination))).ToDictionary(g => g.Key, g => g.ToList());
            var packetCells = packetItems.GroupBy(i => (Block(i.Key.Source), Block(i.Key.Destination))).ToDictionary(g => g.Key, g => g.ToList());
            (double Lower, double Upper) Bounds(List<(TrafficKey Key, ulong Lower, ulong Upper)>? listed, bool hostCell, double unattributed, ulong untracked)
            {
                if (listed is null) return (0, hostCell ? untracked : unattributed);
                double lower = listed.Sum(i => (double)i.Lower);
                // A host-to-host cell is one pair, so its own Space-Saving bounds hold; a wider block may also hold unlisted pairs.
                return hostCell ? (lower, listed.Sum(i => (double)i.Upper)) : (lower, lower + unattributed);
            }
            cells = byteCells.Keys.Union(packetCells.Keys).Select(key =>
            {
                byteCells.TryGetValue(key, out var b);
                packetCells.TryGetValue(key, out var p);
                var any = (b ?? p)![0].Key;
                bool hostCell = IsHost(any.Source) && IsHost(any.Destination);
                var (bl, bu) = Bounds(b, hostCell, unattributedBytes, bytes.UntrackedBound);
                var (pl, pu) = Bounds(p, hostCell, unattributedPackets, packets.UntrackedBound);
                return new MatrixItem(key.Item1, key.Item2, Measured.Between(bl, Math.Min(_all.Bytes, bu), cav), Measured.Between(pl, Math.Min(_all.Packets, pu), cav));
            }).ToList();
        }
        var ordered = cells.OrderByDescending(c => c.Bytes.Value).ThenBy(c => c.Source.Network).ThenBy(c => c.Destination.Network).Take(limit).ToList();
        return new MatrixAnswer(ipv4Prefix, ipv6Prefix, basis, ordered, Measured.Of(unattributedBytes, 0, cav), Measured.Of(unattributedPackets, 0, cav), Coverage);
    }

    /// <summary>Every expected or contributing origin's exact share of the traffic, heaviest first.</summary>
    public ContributionAnswer Contributions()
    {
        var cav = Caveats;
        var list = Coverage.Origins.Select(o =>
        {
            var counters = default(TrafficCounters);
            var health = default(CaptureHealth);
            if (_byOrigin.TryGetValue(o.Origin, out var records))
                foreach (var r in records)
                {
                    counters += r.Totals.All;
                    health += r.Health;
                }
            counters = CountedTwiceUse.Less(counters, _countedTwice.ByReporter.GetValueOrDefault(o.Origin));
            var originCaveats = (cav & ~(Caveats.IncompleteCoverage | Caveats.CaptureLoss))
                | (o.LeavesAGap ? Caveats.IncompleteCoverage : Caveats.None) | (health.KernelDrops > 0 ? Caveats.CaptureLoss : Caveats.None);
            return new OriginContribution(o, Measured.Of(counters.Bytes, 0, originCaveats), Measured.Of(counters.Packets, 0, originCaveats),
                Measured.Of(counters.Flows, 0, originCaveats), _all.Bytes > 0 ? counters.Bytes / (double)_all.Bytes : 0, health);
        }).OrderByDescending(c => c.Bytes.Value).ThenBy(c => c.Origin, StringComparer.Ordinal).ToList();
        return new ContributionAnswer(list, Coverage);
    }

    /// <summary>
    /// Keys whose fan-out or fan-in over the window reaches <paramref name="threshold"/> (default: twice the merged
    /// sketch's detection floor, at least 2). The merge is an exact union, so a spread seen in parts by many origins
    /// is counted whole.
    /// </summary>
    public SpreadAnswer Spread(SpreadKind kind, double? threshold = null)
    {
        if (_merged is null) return new SpreadAnswer(kind, threshold ?? 2, 0, [], Coverage);
        var sketch = _merged.Spread[(int)kind];
        double minimum = threshold ?? SketchBounds.DefaultSpreadMinimum(sketch);
        var items = sketch.KeysAtOrAbove(minimum).Select(c =>
        {
            var key = TrafficKey.Decode(c.Key);
            return new SpreadItem(key.ToString(), key, SketchBounds.Spread(sketch, c.Estimate, Caveats), ObservedBySpread(kind, c.Key));
        }).ToList();
        return new SpreadAnswer(kind, minimum, sketch.DetectionFloor, items, Coverage);
    }

    /// <summary>
    /// Origins whose own records, merged, give <paramref name="key"/> a spread of at least 1 (best effort: the
    /// per-origin sketch is noisy too). Only this one sketch of each origin is merged, once per view and kind, when first
    /// asked: the view itself merges records slot by slot, never per origin.
    /// </summary>
    internal IReadOnlyList<string> ObservedBySpread(SpreadKind kind, byte[] key)
    {
        var perOrigin = PerOrigin(_originSpread, (int)kind, c => c.Spread[(int)kind], (into, from) => into.Merge(from),
            s => new Sketches.SpreadSketch(_merged!.Key, s.KeyLength, s.Depth, s.Width, s.RegistersPerBucket));
        return [.. perOrigin.Where(o => o.Value.Estimate(key) >= 1).Select(o => o.Key).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Origins whose own records, merged, prove some weight for <paramref name="key"/> in that top list (lower bound
    /// above zero). As <see cref="ObservedBySpread"/>: the one list of each origin merged once per view, when first asked,
    /// so a detection round asking about thousands of destinations looks each up once per origin.
    /// </summary>
    internal IReadOnlyList<string> ObservedByTop(TopKind kind, TrafficMeasure measure, ReadOnlySpan<byte> key)
    {
        int index = EpochContents.TopIndex(kind, measure);
        var perOrigin = PerOrigin(_originTop, index, c => c.Top[index], (into, from) => into.Merge(from),
            t => new Sketches.SpaceSavingSummary(_merged!.Key, t.Capacity, t.KeyLength));
        var result = new List<string>();
        foreach (var (origin, summary) in perOrigin)
            if (summary.Bounds(key).Lower > 0) result.Add(origin);
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private readonly Dictionary<int, Dictionary<string, Sketches.SpaceSavingSummary>> _originTop = [];
    private readonly Dictionary<int, Dictionary<string, Sketches.SpreadSketch>> _originSpread = [];

    /// <summary>Each origin's records' sketch number <paramref name="index"/> merged, made once per view (thread-safe: answers are read from several threads).</summary>
    private Dictionary<string, T> PerOrigin<T>(Dictionary<int, Dictionary<string, T>> made, int index, Func<EpochContents, T> sketch, Action<T, T> merge, Func<T, T> emptyLike)
    {
        lock (made)
        {
            if (made.TryGetValue(index, out var known)) return known;
            var perOrigin = new Dictionary<string, T>(StringComparer.Ordinal);
            foreach (var (origin, records) in _byOrigin)
            {
                var merged = emptyLike(sketch(records[0].Contents));
                foreach (var record in records) merge(merged, sketch(record.Contents));
                perOrigin[origin] = merged;
            }
            made[index] = perOrigin;
            return perOrigin;
        }
    }

    /// <summary>The raw key bytes of every key listed in any merged record's top lists of <paramref name="kind"/> (per record, not merged: more names survive).</summary>
    internal IEnumerable<TrafficKey> KeysListedByAnyRecord(TopKind kind)
    {
        foreach (var r in Records)
            foreach (var measure in Measures)
                foreach (var h in r.Contents.Top[EpochContents.TopIndex(kind, measure)].Items())
                    yield return TrafficKey.Decode(h.Key);
    }

    private static readonly TrafficMeasure[] Measures = [TrafficMeasure.Bytes, TrafficMeasure.Packets];

    internal EpochContents? Merged => _merged;

    /// <summary>The first settled slot an origin must cover: the window's, or the slot of its first record or join if later.</summary>
    private long FirstExpectedSlot(string origin) =>
        _since.TryGetValue(origin, out long since) ? Math.Max(_firstSlot, EpochRollup.AlignDown(since, _options.EpochMicros)) : _firstSlot;

    private ViewCoverage BuildCoverage(WindowSelection selection)
    {
        var names = _expected.Where(e => e.Value != OriginLiveness.Left).Select(e => e.Key).Union(_byOrigin.Keys).Order(StringComparer.Ordinal);
        var origins = new List<OriginCoverage>();
        foreach (var name in names)
        {
            OriginLiveness? state = _expected.TryGetValue(name, out var s) ? s : null;
            bool expected = state is not null and not OriginLiveness.Left;
            _byOrigin.TryGetValue(name, out var records);
            _coveredSlots.TryGetValue(name, out var covered);
            long first = FirstExpectedSlot(name);
            int settled = (int)(Math.Max(0, _settledEnd - first) / _options.EpochMicros);
            int coveredCount = covered?.CountFrom(first) ?? 0;
            long? newestEnd = records?.Max(r => r.Id.EndMicros);
            CoverageStatus status;
            if (!expected) status = CoverageStatus.Unexpected;
            else if (coveredCount >= settled) status = CoverageStatus.Complete;
            else if (records is null) status = CoverageStatus.Missing;
            else if (newestEnd < _settledEnd) status = CoverageStatus.Late;
            else status = CoverageStatus.Gaps;
            origins.Add(new OriginCoverage(name, state, status, records?.Count ?? 0, settled, coveredCount, newestEnd,
                newestEnd is { } end ? UnixMicros.ToDuration(Math.Max(0, NowMicros - end)) : null));
        }
        var health = default(CaptureHealth);
        foreach (var r in Records) health += r.Health;
        return new ViewCoverage
        {
            Window = Window,
            NowMicros = NowMicros,
            Origins = origins,
            Records = Records.Count,
            DuplicatesIgnored = selection.Duplicates,
            OverlapsIgnored = selection.Overlaps,
            StraddlingIgnored = selection.Straddling,
            Conflicts = selection.Conflicts,
            Health = health,
            NewestEndMicros = Records.Count == 0 ? null : Records.Max(r => r.Id.EndMicros),
            LeftToPeer = new LeftToPeerCoverage(_leftUsed.Sections, _leftUsed.Peers.Order(StringComparer.Ordinal).ToList(), _leftUsed.Bytes, _leftUsed.Packets,
                _leftUsed.UnlistedBytes, _leftUsed.UnlistedPackets, _leftUsed.DuplicatesIgnored)
            {
                StaleOwners = _leftUsed.StaleOwners.Order(StringComparer.Ordinal).ToList(),
                CountedTwiceBytes = _countedTwice.All.Bytes,
                CountedTwicePackets = _countedTwice.All.Packets,
                LateOwners = [.. _countedTwice.Owners],
            },
            CrossCheck = _crossCheck,
        };
    }
}
