namespace Flowmesh.Gossip.Records;

/// <summary>Why a sync message was dropped whole. Each has a counter in <see cref="SyncDropCounters"/>.</summary>
public enum SyncDropReason
{
    /// <summary>Truncated, trailing bytes, bad field value (empty or non-UTF-8 origin, non-positive epoch length).</summary>
    Malformed,
    /// <summary>Longer than ReplicationOptions.MaxMessageBytes, or an envelope longer than MaxEnvelopeBytes.</summary>
    Oversized,
    /// <summary>A protocol version this node does not speak.</summary>
    UnknownVersion,
    /// <summary>A message type this node does not know.</summary>
    UnknownType,
    /// <summary>More entries than a cap allows (origins, ids per origin, ids per message).</summary>
    TooManyEntries,
    /// <summary>Well formed, but not the message expected at this point of the session.</summary>
    UnexpectedType,
    /// <summary>A sender exceeded its request rate (ReplicationOptions.MaxRequestsPerPeerPerInterval).</summary>
    RateLimited,
    /// <summary>A request for a scope this node does not serve (or a flat one to a node replicating by zone); answered with <see cref="ScopeRefused"/>.</summary>
    OutOfScope,
}
