using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Views;

/// <summary>
/// Which origins' records announced which addresses over which spans (the "monitored addresses" extension) and owned
/// them (captured the whole epoch, and had announced them long enough), so the view can tell whether any agent other than the one that left a flow owned
/// one of its ends during that epoch.
/// </summary>
internal sealed class AnnouncedAddresses
{
    private readonly Dictionary<IpAddress128, List<(long Start, long End, string Origin)>> _spans = [];

    public AnnouncedAddresses(IReadOnlyDictionary<string, List<EpochRecord>> byOrigin)
    {
        foreach (var (origin, records) in byOrigin)
            foreach (var record in records)
            {
                // A record whose origin began capturing inside the epoch did not own its addresses then, nor did one
                // announce an address it owns only later (announced before owned).
                if (!record.OwnedAnyAddress) continue;
                var addresses = record.MonitoredAddresses!;
                foreach (var address in addresses)
                {
                    if (!record.Owned(address)) continue;
                    if (!_spans.TryGetValue(address, out var spans)) _spans[address] = spans = [];
                    spans.Add((record.Id.StartMicros, record.Id.EndMicros, origin));
                }
            }
    }

    /// <summary>True when a record of an origin other than <paramref name="except"/> overlapping [start, end) announces <paramref name="a"/> or <paramref name="b"/>.</summary>
    public bool AnyOtherThan(string except, long start, long end, IpAddress128 a, IpAddress128 b) =>
        Announces(except, start, end, a) || Announces(except, start, end, b);

    private bool Announces(string except, long start, long end, IpAddress128 address)
    {
        if (!_spans.TryGetValue(address, out var spans)) return false;
        foreach (var (s, e, origin) in spans)
            if (s < end && start < e && !string.Equals(origin, except, StringComparison.Ordinal)) return true;
        return false;
    }
}
