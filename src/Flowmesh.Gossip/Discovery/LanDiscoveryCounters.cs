namespace Flowmesh.Gossip.Discovery;

/// <summary>
/// What discovery sent, accepted and dropped. Envelope-level drops (wrong key, replayed, stale, oversized, malformed
/// envelope) are in <see cref="LanDiscovery.Drops"/>; these cover the rest. Interlocked: read from any thread.
/// </summary>
public sealed class LanDiscoveryCounters
{
    private long _beaconsSent, _sendFailures, _beaconsAccepted, _ownBeacons, _malformedBeacons, _peersReported, _receiveErrors, _handlerFailures;

    public long BeaconsSent => Interlocked.Read(ref _beaconsSent);

    /// <summary>Sends the kernel refused (interface went down, no route); the next beacon tries again.</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>Authentic, fresh, well-formed beacons of other nodes.</summary>
    public long BeaconsAccepted => Interlocked.Read(ref _beaconsAccepted);

    /// <summary>Our own beacons looped back (multicast loopback stays on so agents in one namespace find each other).</summary>
    public long OwnBeaconsIgnored => Interlocked.Read(ref _ownBeacons);

    /// <summary>Authentic envelopes whose payload is not a beacon (e.g. a gossip packet replayed to the discovery port).</summary>
    public long MalformedBeacons => Interlocked.Read(ref _malformedBeacons);

    /// <summary>Times <see cref="LanDiscovery.Discovered"/> was raised.</summary>
    public long PeersReported => Interlocked.Read(ref _peersReported);

    public long ReceiveErrors => Interlocked.Read(ref _receiveErrors);

    /// <summary>Times a <see cref="LanDiscovery.Discovered"/> handler threw; the exception is swallowed so receiving goes on.</summary>
    public long HandlerFailures => Interlocked.Read(ref _handlerFailures);

    internal void CountSent() => Interlocked.Increment(ref _beaconsSent);
    internal void CountSendFailure() => Interlocked.Increment(ref _sendFailures);
    internal void CountAccepted() => Interlocked.Increment(ref _beaconsAccepted);
    internal void CountOwn() => Interlocked.Increment(ref _ownBeacons);
    internal void CountMalformed() => Interlocked.Increment(ref _malformedBeacons);
    internal void CountReported() => Interlocked.Increment(ref _peersReported);
    internal void CountReceiveError() => Interlocked.Increment(ref _receiveErrors);
    internal void CountHandlerFailure() => Interlocked.Increment(ref _handlerFailures);

    public override string ToString() =>
        $"sent {BeaconsSent}, send-failures {SendFailures}, accepted {BeaconsAccepted}, own {OwnBeaconsIgnored}, " +
        $"malformed {MalformedBeacons}, reported {PeersReported}, receive-errors {ReceiveErrors}, handler-failures {HandlerFailures}";
}
