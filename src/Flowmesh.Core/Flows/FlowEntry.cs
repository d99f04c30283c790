namespace Flowmesh.Core.Flows;

/// <summary>
/// One live flow inside <see cref="FlowTable"/>'s entry array. A mutable struct so updates happen
/// in place without allocation. Counters are kept per key side (low/high endpoint) rather than
/// per role, so changing who the initiator is only flips <see cref="InitiatorIsLow"/>.
/// </summary>
internal struct FlowEntry
{
    public const byte FinFromLow = 1;
    public const byte FinFromHigh = 2;
    public const byte RstSeen = 4;
    public const byte IcmpSeenFromLow = 1;
    public const byte IcmpSeenFromHigh = 2;

    public FlowKey Key;

    public long LowPackets;
    public long LowBytes;
    public long LowSegments;
    public long HighPackets;
    public long HighBytes;
    public long HighSegments;

    public long StartMicros;
    public long EndMicros;
    /// <summary>
    /// The table clock (newest time seen) when the flow last got a packet. Unlike
    /// <see cref="EndMicros"/> it never goes backwards across flows, which keeps the LRU lists
    /// sorted even when a capture delivers packets slightly out of time order.
    /// </summary>
    public long TouchMicros;

    /// <summary>Neighbours in the LRU list (toward the newest / toward the oldest); also the free-list link.</summary>
    public int Newer;
    public int Older;
    public TimeoutClass List;
    public bool Linked;

    public bool InitiatorIsLow;
    /// <summary>The first packet was not a pure SYN, so a later pure SYN may still name the initiator.</summary>
    public bool InitiatorGuessed;

    public byte TcpFlags;
    /// <summary><see cref="FinFromLow"/> | <see cref="FinFromHigh"/> | <see cref="RstSeen"/>; survives active-timeout restarts.</summary>
    public byte TcpState;

    /// <summary>Every packet of the record so far was a non-first IP fragment (no transport header, so no ports).</summary>
    public bool NonFirstFragmentsOnly;

    public byte IcmpSeen;
    public byte IcmpTypeFromLow;
    public byte IcmpCodeFromLow;
    public byte IcmpTypeFromHigh;
    public byte IcmpCodeFromHigh;
}
