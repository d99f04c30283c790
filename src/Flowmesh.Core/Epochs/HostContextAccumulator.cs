using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Folds the host context of an open epoch's counted flow deltas, and its DNS observations, into the record's
/// programs, DNS and RTT extensions, letting out only what <see cref="HostContextPrivacy"/> allows. Per delta, not per
/// packet; every working set is capped (see each section).
/// </summary>
internal sealed class HostContextAccumulator
{
    private ProgramSection? _programs;
    private DnsSection? _dns;
    private RttSection? _rtt;

    public void Add(in FlowTableDelta flow, SketchHashKey key, HostContextPrivacy privacy, MonitoredAddresses? addresses)
    {
        var context = flow.Context!;
        // The far end as this PC sees it: the responder, unless the responder is this PC (it answered).
        var remote = addresses is not null && addresses.IsLocal(flow.DestinationAddress) ? flow.SourceAddress : flow.DestinationAddress;
        if (context.Tcp is { SmoothedRttMicros: > 0 } tcp) (_rtt ??= new RttSection()).Add(remote, (ulong)tcp.SmoothedRttMicros);
        if (context.Process is { } process && privacy.Programs is SharingMode.Shared or SharingMode.Hashed && process.Name.Length > 0)
        {
            ulong program = HostContextPrivacy.Identity(key, process.Name);
            string? label = privacy.Programs == SharingMode.Shared ? process.Name : null;
            string? user = HostContextPrivacy.Outgoing(privacy.Users, key, process.User);
            Span<byte> remoteKey = stackalloc byte[TrafficKey.AddressLength];
            TrafficKey.WriteAddress(remoteKey, remote);
            (_programs ??= new ProgramSection(key)).Add(program, label, process.Pid, user, (ulong)(flow.Bytes + flow.ReverseBytes), remoteKey);
        }
    }

    public void AddDns(DnsObservation observation, SketchHashKey key, HostContextPrivacy privacy) =>
        (_dns ??= new DnsSection(key)).Add(observation, privacy.Names);

    public void WriteTo(RecordExtensions extensions)
    {
        _programs?.Seal();
        _dns?.Prune();
        _rtt?.Prune();
        extensions.Programs = _programs;
        extensions.Dns = _dns;
        extensions.Rtt = _rtt;
    }
}
