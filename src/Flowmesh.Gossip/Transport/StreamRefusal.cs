namespace Flowmesh.Gossip.Transport;

/// <summary>Why a stream exchange ended without a reply. Each reason has its own counter in <see cref="TransportCounters"/>.</summary>
public enum StreamRefusal
{
    /// <summary>Inbound, once authenticated: <see cref="TransportOptions.MaxInboundConnections"/> exchanges already busy; closed at once.</summary>
    TooManyConnections,
    /// <summary>A length prefix above <see cref="TransportOptions.MaxFrameBytes"/> (or below the smallest envelope): closed before reading it.</summary>
    BadFrameLength,
    /// <summary>The frame did not arrive completely within <see cref="TransportOptions.StreamTimeout"/> (slow or silent peer).</summary>
    Timeout,
    /// <summary>The envelope did not open (wrong key, replay, malformed): the opener's drop counters say which.</summary>
    NotAuthenticated,
    /// <summary>Authentic, but empty or of a kind nobody registered.</summary>
    UnknownKind,
    /// <summary>The handler threw; the peer gets no reply.</summary>
    HandlerFailed,
    /// <summary>Connection refused, reset or closed early (including an outgoing connect that failed).</summary>
    ConnectionFailed,
    /// <summary>Inbound: the source address is over <see cref="TransportOptions.ConnectionsPerSecondPerAddress"/>; closed before reading.</summary>
    RateLimited,
    /// <summary>Inbound: the source address already holds <see cref="TransportOptions.MaxPreAuthConnectionsPerAddress"/>
    /// unauthenticated connections; closed before reading.</summary>
    PreAuthPerAddress,
    /// <summary>Inbound: the request frame did not arrive completely within <see cref="TransportOptions.PreAuthTimeout"/>.</summary>
    PreAuthTimeout,
    /// <summary>Inbound: announced a request frame above <see cref="TransportOptions.MaxPreAuthFrameBytes"/>; closed before reading it.</summary>
    PreAuthTooLarge,
    /// <summary>Inbound: <see cref="TransportOptions.MaxPreAuthConnections"/> unauthenticated connections were open, and this one
    /// (the oldest of the address holding the most) was closed to make room for a newer one.</summary>
    PreAuthEvicted,
}
