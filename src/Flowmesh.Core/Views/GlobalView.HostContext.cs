using System.Buffers.Binary;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Views;

/// <summary>The host-context answers: programs, DNS names and RTT, from the records' extensions 6-8 merged over the window.</summary>
public sealed partial class GlobalView
{
    /// <summary>The quantiles every RTT and latency answer reports.</summary>
    public static readonly double[] ReportedQuantiles = [0.5, 0.9, 0.99];

    public ProgramsAnswer Programs(ProgramRanking by = ProgramRanking.Bytes, int limit = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var cav = Caveats;
        var programs = _merged?.Extensions.Programs;
        if (programs is null) return new ProgramsAnswer(by, [], Measured.Of(0, 0, cav), 0, Coverage);
        var perOrigin = ProgramsByOrigin();
        var items = new List<ProgramItem>();
        if (by == ProgramRanking.Bytes)
        {
            foreach (var h in programs.ByBytes.Items())
            {
                ulong id = BinaryPrimitives.ReadUInt64LittleEndian(h.Key);
                var origin = TopOrigin(perOrigin, id, s => s.ByBytes.Items().FirstOrDefault(i => BinaryPrimitives.ReadUInt64LittleEndian(i.Key) == id).Lower);
                items.Add(Item(programs, id, Measured.Between(h.Lower, h.Upper, cav), origin));
            }
        }
        else
        {
            foreach (var (id, hll) in programs.Destinations)
            {
                var origin = TopOrigin(perOrigin, id, s => s.Destinations.TryGetValue(id, out var mine) ? mine.Estimate() : 0);
                items.Add(Item(programs, id, SketchBounds.Distinct(hll, cav), origin));
            }
        }
        var ranked = items.OrderByDescending(i => i.Value.Value).ThenBy(i => i.Program, StringComparer.Ordinal).Take(limit).ToList();
        return new ProgramsAnswer(by, ranked, Measured.Of(programs.ByBytes.TotalWeight, 0, cav), programs.ByBytes.UntrackedBound, Coverage);
    }

    private ProgramItem Item(ProgramSection programs, ulong id, Measured value, (string Origin, ProgramSection Section)? origin)
    {
        bool hashed = !programs.Labels.TryGetValue(id, out string? name);
        ProgramProcess? process = origin is { } o && o.Section.Processes.TryGetValue(id, out var p) ? p : null;
        return new ProgramItem(name ?? HostContextPrivacy.HashedText(id), hashed, value, origin?.Origin, process?.Pid, process?.User);
    }

    /// <summary>Each origin's programs over the window (its records merged), for naming who runs a program.</summary>
    private Dictionary<string, ProgramSection> ProgramsByOrigin()
    {
        var result = new Dictionary<string, ProgramSection>(StringComparer.Ordinal);
        foreach (var origin in _byOrigin.Keys)
            if (ProgramsOf(origin) is { } merged) result[origin] = merged;
        return result;
    }

    /// <summary>One origin's programs over the window (its records merged); null: it named none.</summary>
    private ProgramSection? ProgramsOf(string origin)
    {
        ProgramSection? merged = null;
        if (!_byOrigin.TryGetValue(origin, out var records)) return null;
        foreach (var record in records)
            if (record.Contents.Extensions.Programs is { } section) (merged ??= new ProgramSection(section.Key)).MergeFrom(section);
        return merged;
    }

    private static (string Origin, ProgramSection Section)? TopOrigin(Dictionary<string, ProgramSection> perOrigin, ulong id, Func<ProgramSection, double> measure)
    {
        (string Origin, ProgramSection Section)? best = null;
        double bestValue = 0;
        foreach (var (origin, section) in perOrigin.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            double value = measure(section);
            if (value > bestValue) (best, bestValue) = ((origin, section), value);
        }
        return best;
    }

    /// <summary>The program with the most distinct destinations in <paramref name="origin"/>'s records of this window, with its process; null: none named.</summary>
    public ProgramItem? TopProgramByDestinations(string origin)
    {
        if (ProgramsOf(origin) is not { Destinations.Count: > 0 } section) return null;
        var (id, hll) = section.Destinations.OrderByDescending(d => d.Value.Estimate()).ThenBy(d => d.Key).First();
        return Item(section, id, SketchBounds.Distinct(hll, Caveats), (origin, section));
    }

    /// <summary>
    /// The program behind traffic from <paramref name="source"/>: the top program by distinct destinations in the records of
    /// the origin whose newest record in the window announces that address (docs/host-context.md "In the global view");
    /// null when no origin announces it or its records name no program.
    /// </summary>
    public ProgramItem? ProgramOf(Packets.IpAddress128 source)
    {
        string? owner = null;
        long newest = long.MinValue;
        foreach (var (origin, records) in _byOrigin.OrderBy(o => o.Key, StringComparer.Ordinal))
            foreach (var record in records)
                if (record.Id.StartMicros > newest && record.MonitoredAddresses is { } addresses && addresses.Contains(source))
                    (owner, newest) = (origin, record.Id.StartMicros);
        return owner is null ? null : TopProgramByDestinations(owner);
    }

    /// <summary>"nmap (pid 4242, user alice) on pc-17".</summary>
    public static string Describe(ProgramItem program)
    {
        var details = new List<string>();
        if (program.Pid is { } pid) details.Add($"pid {pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (program.User is { } user) details.Add($"user {user}");
        return $"{program.Program}{(details.Count > 0 ? $" ({string.Join(", ", details)})" : "")} on {program.Origin}";
    }

    public DomainsAnswer Domains(int limit = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var cav = Caveats;
        var dns = _merged?.Extensions.Dns;
        if (dns is null) return new DomainsAnswer([], 0, 0, 0, 0, new Dictionary<int, double>(), [], 0, Coverage);
        var items = (dns.Names?.Items() ?? [])
            .Select(h =>
            {
                ulong id = BinaryPrimitives.ReadUInt64LittleEndian(h.Key);
                bool hashed = !dns.Labels.TryGetValue(id, out string? name);
                return new DomainItem(name ?? HostContextPrivacy.HashedText(id), hashed, Measured.Between(h.Lower, h.Upper, cav));
            })
            .OrderByDescending(i => i.Queries.Value).ThenBy(i => i.Name, StringComparer.Ordinal).Take(limit).ToList();
        var codes = new Dictionary<int, double>();
        for (int i = 0; i < dns.ByResponseCode.Length; i++)
            if (dns.ByResponseCode[i] > 0) codes[i] = dns.ByResponseCode[i];
        return new DomainsAnswer(items, dns.Queries, dns.Answered, dns.TimedOut, dns.ErrorRate, codes, Quantiles(dns.Latency, cav), dns.Names?.UntrackedBound ?? 0, Coverage);
    }

    public RttAnswer Rtt(int limit = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var cav = Caveats;
        var rtt = _merged?.Extensions.Rtt;
        if (rtt is null) return new RttAnswer([], null, null, Coverage);
        var subnets = rtt.BySubnet.OrderByDescending(s => s.Value.Count).ThenBy(s => s.Key.Network)
            .Take(limit).Select(s => Subnet(s.Key.ToString(), s.Value, cav)).ToList();
        return new RttAnswer(subnets, rtt.Other.Count > 0 ? Subnet(null, rtt.Other, cav) : null, Subnet(null, rtt.All(), cav), Coverage);
    }

    private static RttSubnet Subnet(string? subnet, QuantileSketch sketch, Caveats cav) =>
        new(subnet, sketch.Count, sketch.Min, sketch.Max, Quantiles(sketch, cav));

    private static List<QuantileItem> Quantiles(QuantileSketch sketch, Caveats cav) =>
        sketch.Count == 0 ? [] : ReportedQuantiles.Select(q => sketch.Quantile(q)!.Value is var e ? new QuantileItem(q, Measured.Between(e.Lower, e.Upper, cav)) : null!).ToList();
}
