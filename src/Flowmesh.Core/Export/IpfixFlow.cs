using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Export;

/// <summary>
/// One biflow as IPFIX exports it (RFC 5103): the initiator is the source, forward counters travel from it,
/// reverse counters back. Built from a finished <see cref="FlowRecord"/> (<c>flowmesh flows</c>) or from one
/// epoch's <see cref="FlowTableDelta"/> (the agent, which reports each flow's traffic every epoch).
/// </summary>
public readonly record struct IpfixFlow(
    byte Protocol,
    IpAddress128 SourceAddress,
    ushort SourcePort,
    IpAddress128 DestinationAddress,
    ushort DestinationPort,
    long Packets,
    long Bytes,
    long ReversePackets,
    long ReverseBytes,
    long StartMicros,
    long EndMicros,
    byte TcpFlags,
    byte IcmpType,
    byte IcmpCode,
    FlowEndReason EndReason)
{
    /// <summary>The PC's process id (host context; null: unknown).</summary>
    public uint? ProcessId { get; init; }

    /// <summary>The program's short name (host context; null: unknown).</summary>
    public string? ProcessName { get; init; }

    /// <summary>The TCP stack's smoothed RTT for the flow, µs (host context; null: unknown).</summary>
    public uint? RttMicros { get; init; }

    /// <summary>The name this PC resolved for the remote address (host context; null: unknown).</summary>
    public string? DnsName { get; init; }

    /// <summary>Any host context: such a flow goes out with the context templates (260 and up).</summary>
    public bool HasContext => ProcessId is not null || ProcessName is not null || RttMicros is not null || DnsName is not null;

    /// <summary>IPv4 when both endpoints are; a mixed pair (which no decoder produces) goes out as IPv6 (v4-mapped).</summary>
    public bool IsIPv4 => SourceAddress.IsIPv4 && DestinationAddress.IsIPv4;

    public static IpfixFlow From(FlowRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new IpfixFlow(record.Protocol, record.SourceAddress, record.SourcePort, record.DestinationAddress, record.DestinationPort,
            record.Packets, record.Bytes, record.ReversePackets, record.ReverseBytes, record.StartMicros, record.EndMicros,
            record.TcpFlags, record.IcmpType, record.IcmpCode, record.EndReason).WithContext(record.Context);
    }

    private IpfixFlow WithContext(HostContext.FlowHostContext? context) => context is null ? this : this with
    {
        ProcessId = context.Process is { Pid: >= 0 } p ? (uint)p.Pid : null,
        ProcessName = context.Process?.Name,
        RttMicros = context.Tcp is { SmoothedRttMicros: >= 0 } t ? (uint)t.SmoothedRttMicros : null,
        DnsName = context.DnsName,
    };

    /// <summary>
    /// One epoch's share of a flow. A delta does not say why it was cut, so it goes out as an active-timeout
    /// report (RFC 7012 flowEndReason 2: the flow is long-lasting and reported in parts), which is what an
    /// epoch cut is. The delta has no ICMP type: its ICMP type-code is 0.
    /// </summary>
    public static IpfixFlow From(in FlowTableDelta delta) =>
        new IpfixFlow(delta.Protocol, delta.SourceAddress, delta.SourcePort, delta.DestinationAddress, delta.DestinationPort,
            delta.Packets, delta.Bytes, delta.ReversePackets, delta.ReverseBytes, delta.StartMicros, delta.EndMicros,
            delta.TcpFlags, 0, 0, FlowEndReason.ActiveTimeout).WithContext(delta.Context);

    /// <summary>The responder's direction as a flow of its own (unidirectional export, <c>--ipfix-biflow off</c>).</summary>
    public IpfixFlow Reversed() =>
        this with
        {
            SourceAddress = DestinationAddress, SourcePort = DestinationPort, DestinationAddress = SourceAddress, DestinationPort = SourcePort,
            Packets = ReversePackets, Bytes = ReverseBytes, ReversePackets = Packets, ReverseBytes = Bytes,
        };
}
