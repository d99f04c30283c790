using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Finds the program behind a flow in a socket table (the kernel hooks' map, or sock_diag), enriches it from /proc and
/// /etc/passwd, and counts what it could not attribute by reason. The PC may be either end of a flow, so the table is
/// asked from the initiator's side and then from the responder's, exact socket first, then listener or unconnected UDP
/// socket. When several sockets match (both ends
/// of a flow between two namespaces of this PC), the one in the agent's own network namespace wins.
/// Not thread-safe: the capture thread owns it.
/// </summary>
public sealed class ProcessAttributionProvider : IFlowContextProvider, IHostContextCounters
{
    private const byte Tcp = 6;
    private const byte Udp = 17;

    private readonly ISocketTable _table;
    private readonly ProcessDetailsCache _details;
    private readonly LocalAddressSet _localAddresses;
    private readonly uint _ownNetworkNamespace;

    public ProcessAttributionProvider(ISocketTable table, ProcessDetailsCache? details = null, LocalAddressSet? localAddresses = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        _table = table;
        _details = details ?? new ProcessDetailsCache();
        _localAddresses = localAddresses ?? new LocalAddressSet();
        _ownNetworkNamespace = NetworkNamespace.OfCurrentProcess();
    }

    public ISocketTable Table => _table;

    /// <summary>Lookups that found the program.</summary>
    public long Attributed { get; private set; }

    /// <summary>Lookups of flows neither of whose addresses is this PC's: forwarded or bridged traffic, no local socket.</summary>
    public long UnattributedForwarded { get; private set; }

    /// <summary>Lookups of flows without a transport socket (ICMP and other protocols sent from raw sockets, or by the kernel itself) whose sender was not recorded.</summary>
    public long UnattributedNoSocket { get; private set; }

    /// <summary>TCP/UDP lookups with a local address but no socket: closed before it was seen, evicted, or none (a closed port the kernel answered with a reset).</summary>
    public long UnattributedUnknown { get; private set; }

    public void AddTo(IDictionary<string, long> counters)
    {
        counters["process.attributed"] = Attributed;
        counters["process.unattributed_forwarded"] = UnattributedForwarded;
        counters["process.unattributed_no_socket"] = UnattributedNoSocket;
        counters["process.unattributed_unknown"] = UnattributedUnknown;
        counters["process.proc_reads"] = _details.ProcReads;
        (_table as IHostContextCounters)?.AddTo(counters);
    }

    public void Describe(in FlowContextKey flow, FlowHostContextBuilder context)
    {
        if (!TryFind(flow, out SocketOwner owner))
        {
            CountUnattributed(flow);
            return;
        }
        Attributed++;
        context.Process = _details.Identify(owner);
    }

    private bool TryFind(in FlowContextKey flow, out SocketOwner owner)
    {
        IpAddress128 initiator = SocketEndpoints.Unspecified(flow.SourceAddress);
        IpAddress128 responder = SocketEndpoints.Unspecified(flow.DestinationAddress);
        var fromInitiator = new SocketEndpoints(flow.Protocol, initiator, flow.SourcePort, responder, flow.DestinationPort);
        var fromResponder = new SocketEndpoints(flow.Protocol, responder, flow.DestinationPort, initiator, flow.SourcePort);
        var match = new Candidate(_ownNetworkNamespace);
        bool ports = flow.Protocol is Tcp or Udp;

        if (ports)
        {
            match.Offer(_table, fromInitiator);
            match.Offer(_table, fromResponder);
            if (!match.Final)
            {
                // Unconnected UDP sockets answer and send from a local port to anyone; TCP listeners accept on one.
                if (flow.Protocol == Udp)
                {
                    match.Offer(_table, fromInitiator.AnyPeer);
                    match.Offer(_table, fromInitiator.AnyLocalAddress);
                }
                match.Offer(_table, fromResponder.AnyPeer);
                match.Offer(_table, fromResponder.AnyLocalAddress);
            }
        }
        else if (_table.KnowsRawSenders)
        {
            // Parsed raw sends of other protocols are recorded with both ports 0, as the flow key has them.
            match.Offer(_table, fromInitiator);
            match.Offer(_table, fromResponder);
        }
        owner = match.Owner;
        return match.Found;
    }

    private void CountUnattributed(in FlowContextKey flow)
    {
        if (!_localAddresses.Contains(flow.SourceAddress) && !_localAddresses.Contains(flow.DestinationAddress))
            UnattributedForwarded++;
        else if (flow.Protocol is Tcp or Udp)
            UnattributedUnknown++;
        else
            UnattributedNoSocket++;
    }

    /// <summary>The best owner offered so far: the first in the agent's network namespace, else the first at all.</summary>
    private struct Candidate(uint ownNetworkNamespace)
    {
        public SocketOwner Owner;
        public bool Found;
        public bool Final;

        public void Offer(ISocketTable table, in SocketEndpoints socket)
        {
            if (Final || !table.TryFindOwner(socket, out SocketOwner owner)) return;
            bool own = owner.NetworkNamespace == 0 || ownNetworkNamespace == 0 || owner.NetworkNamespace == ownNetworkNamespace;
            if (!Found || own)
            {
                Owner = owner;
                Found = true;
                Final = own;
            }
        }
    }
}
