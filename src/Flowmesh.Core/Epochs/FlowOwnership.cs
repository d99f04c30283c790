using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Which agent counts a flow, so that a flow seen by the agents of both its endpoints is counted once fleet-wide.
/// </summary>
/// <remarks>
/// <para><b>Rule.</b> Among the flow's two endpoint addresses, take those that are <i>monitored</i> (some agent
/// captures that host's traffic). If there is none, the observing agent counts the flow (nobody else sees it).
/// Otherwise the flow belongs to the agent of the <b>lowest</b> monitored address (address order of
/// <see cref="IpAddress128"/>); an agent counts the flow exactly when that address is one of its <i>local</i>
/// addresses. Both ends local (two addresses of one PC) is the agent's own; such traffic runs over loopback, which
/// is never captured, so it is rarely seen at all.</para>
/// <para><b>Why the lower address and not the initiator.</b> Both agents must reach the same verdict from what
/// each saw on its own. The address pair is identical at both ends; the initiator is not always: an agent that
/// started capturing mid-flow, or lost the first packet, may name the other side (for UDP and for TCP without a
/// SYN), and then both agents or neither would count the flow. The address rule depends on nothing but the
/// flow key, so the two verdicts always agree (NAT between the two agents breaks this, as it breaks any
/// tuple-based rule; see ../shared/reference/capture-from-dotnet.md 3.3).</para>
/// <para><b>Where "monitored" comes from.</b> Either fixed predicates (a CIDR list: <c>summarize --local/--monitored</c>)
/// or, in the agent, a <see cref="MonitoredAddresses"/> built from its interfaces and the addresses every other
/// agent announces in its records, replaced with <see cref="Update"/> while the capture runs. Only the second kind
/// knows the owner's name, which the "left to peer" record section needs.</para>
/// <para>Packets left to another agent are counted in <see cref="CaptureHealth.ForeignPackets"/>.</para>
/// </remarks>
public sealed class FlowOwnership
{
    private readonly Func<IpAddress128, bool>? _isLocal;
    private readonly Func<IpAddress128, bool>? _isMonitored;
    private MonitoredAddresses? _addresses;

    /// <param name="isLocal">This agent's own addresses.</param>
    /// <param name="isMonitored">Addresses of every host that runs an agent (a CIDR list). Local addresses count as monitored whether or not it says so.</param>
    public FlowOwnership(Func<IpAddress128, bool> isLocal, Func<IpAddress128, bool> isMonitored)
    {
        ArgumentNullException.ThrowIfNull(isLocal);
        ArgumentNullException.ThrowIfNull(isMonitored);
        _isLocal = isLocal;
        _isMonitored = isMonitored;
    }

    /// <summary>Automatic ownership from announced addresses; <see cref="Update"/> replaces them at any time (thread-safe).</summary>
    public FlowOwnership(MonitoredAddresses addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        _addresses = addresses;
    }

    /// <summary>A lone agent: every flow it sees is its own.</summary>
    public static FlowOwnership Everything { get; } = new(_ => false, _ => false);

    /// <summary>The current address map (automatic ownership only; null for fixed predicates).</summary>
    public MonitoredAddresses? Addresses => Volatile.Read(ref _addresses);

    /// <summary>Replaces the address map; flows seen afterwards are decided by the new one.</summary>
    public void Update(MonitoredAddresses addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        if (_isLocal is not null) throw new InvalidOperationException("This ownership uses fixed predicates; only automatic ownership is updated.");
        Volatile.Write(ref _addresses, addresses);
    }

    public bool Owns(in FlowTableDelta flow) => Owns(flow.SourceAddress, flow.DestinationAddress);

    public bool Owns(IpAddress128 a, IpAddress128 b) => Decide(a, b, out _);

    /// <summary>
    /// True when this agent counts the flow between <paramref name="a"/> and <paramref name="b"/>. Otherwise
    /// <paramref name="owner"/> names the agent that does (null when the predicates cannot name it). No allocation.
    /// </summary>
    public bool Decide(IpAddress128 a, IpAddress128 b, out string? owner) => Decide(a, b, long.MaxValue, out owner, out _);

    /// <summary>
    /// <see cref="Decide(IpAddress128, IpAddress128, out string?)"/>, and whether the verdict is <i>provisional</i>:
    /// "count it" only because no agent is known for the lower address. That is the one verdict that more knowledge
    /// can reverse (a newcomer whose addresses have not reached this agent yet owns the lower end), so
    /// <see cref="EpochSummary"/> holds such flows until the seal and decides them with what it knows then. Every
    /// other verdict is final: the agent of the lower address always knows it is local, and leaving a flow is safe
    /// because the view counts "left to peer" entries nobody else counted. <paramref name="epochStartMicros"/>: the
    /// epoch the flow's traffic belongs to (this agent owns its addresses from <see cref="MonitoredAddresses.OwnedFromMicros"/>).
    /// </summary>
    public bool Decide(IpAddress128 a, IpAddress128 b, long epochStartMicros, out string? owner, out bool provisional)
    {
        IpAddress128 low = a <= b ? a : b;
        IpAddress128 high = a <= b ? b : a;
        owner = null;
        provisional = false;
        var addresses = Volatile.Read(ref _addresses);
        if (addresses is not null)
        {
            string? lowOwner = addresses.OwnerOf(low, epochStartMicros);
            string? chosen = lowOwner ?? addresses.OwnerOf(high, epochStartMicros);
            if (chosen is null || ReferenceEquals(chosen, addresses.Self) || chosen == addresses.Self)
            {
                provisional = lowOwner is null;
                return true;
            }
            owner = chosen;
            return false;
        }
        bool lowLocal = _isLocal!(low);
        if (lowLocal || _isMonitored!(low))
            return lowLocal;
        bool highLocal = _isLocal(high);
        if (highLocal || _isMonitored!(high))
            return highLocal;
        return true;
    }
}
