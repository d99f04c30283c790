namespace Flowmesh.Core.HostContext;

/// <summary>
/// What only the agent on the PC knows about one of its flows: the program, the TCP stack's RTT and retransmissions,
/// the name this PC resolved for the remote address, and kernel drops. Every part is optional (null or empty when
/// unknown); a flow with none of them carries no context at all (null, not an empty instance).
/// </summary>
public sealed class FlowHostContext
{
    public ProcessIdentity? Process { get; init; }
    public TcpPathStats? Tcp { get; init; }

    /// <summary>The name this PC resolved to the flow's remote address (the responder, or the initiator when the PC answered).</summary>
    public string? DnsName { get; init; }

    public IReadOnlyList<DropReasonCount> Drops { get; init; } = [];
}
