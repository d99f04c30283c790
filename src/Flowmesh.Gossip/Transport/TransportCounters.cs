using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// What the real transport sent, received and refused; updated with Interlocked from the socket threads, readable
/// from anywhere. Drops of sealed envelopes by reason are in <see cref="DatagramDrops"/> and <see cref="StreamDrops"/>.
/// </summary>
public sealed class TransportCounters
{
    private readonly long[] _refusals = new long[Enum.GetValues<StreamRefusal>().Length];
    private long _datagramsSent, _datagramBytesSent, _datagramsReceived, _datagramBytesReceived, _sendErrors;
    private long _rateLimited, _rateLimitedBytes;
    private long _requestsSent, _repliesReceived, _requestsServed, _streamBytesSent, _streamBytesReceived;

    /// <summary>Sealed datagrams sent and their bytes on the wire (envelope included).</summary>
    public long DatagramsSent => Interlocked.Read(ref _datagramsSent);
    public long DatagramBytesSent => Interlocked.Read(ref _datagramBytesSent);

    /// <summary>Datagrams that opened and went to the node, and their bytes on the wire.</summary>
    public long DatagramsReceived => Interlocked.Read(ref _datagramsReceived);
    public long DatagramBytesReceived => Interlocked.Read(ref _datagramBytesReceived);

    /// <summary>Authentic datagrams dropped because their sender was over its per-peer budget, and their bytes (the
    /// count is also <see cref="DatagramDrops"/>[<see cref="GossipDropReason.RateLimited"/>]).</summary>
    public long DatagramsRateLimited => Interlocked.Read(ref _rateLimited);
    public long DatagramBytesRateLimited => Interlocked.Read(ref _rateLimitedBytes);

    /// <summary>Datagrams the OS refused to send (no route, buffer full, bad address).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Stream requests this node sent, and how many got an authentic reply.</summary>
    public long StreamRequestsSent => Interlocked.Read(ref _requestsSent);
    public long StreamRepliesReceived => Interlocked.Read(ref _repliesReceived);

    /// <summary>Inbound stream requests that reached a handler.</summary>
    public long StreamRequestsServed => Interlocked.Read(ref _requestsServed);
    public long StreamBytesSent => Interlocked.Read(ref _streamBytesSent);
    public long StreamBytesReceived => Interlocked.Read(ref _streamBytesReceived);

    /// <summary>Bad datagrams by reason (foreign key, tampered, replayed, malformed, oversized).</summary>
    public GossipDropCounters DatagramDrops { get; internal set; } = new();

    /// <summary>Stream envelopes that did not open, by reason.</summary>
    public GossipDropCounters StreamDrops { get; internal set; } = new();

    public long this[StreamRefusal reason] => Interlocked.Read(ref _refusals[(int)reason]);

    public long StreamRefusals
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _refusals.Length; i++) sum += Interlocked.Read(ref _refusals[i]);
            return sum;
        }
    }

    internal void Refused(StreamRefusal reason) => Interlocked.Increment(ref _refusals[(int)reason]);
    internal void DatagramSent(int bytes) { Interlocked.Increment(ref _datagramsSent); Interlocked.Add(ref _datagramBytesSent, bytes); }
    internal void DatagramReceived(int bytes) { Interlocked.Increment(ref _datagramsReceived); Interlocked.Add(ref _datagramBytesReceived, bytes); }
    internal void DatagramRateLimited(int bytes)
    {
        Interlocked.Increment(ref _rateLimited);
        Interlocked.Add(ref _rateLimitedBytes, bytes);
        // Also a drop by reason, so the agent's drop totals and /metrics (reason="rate_limited") include it.
        DatagramDrops.Count(GossipDropReason.RateLimited);
    }
    internal void SendFailed() => Interlocked.Increment(ref _sendErrors);
    internal void RequestSent(int bytes) { Interlocked.Increment(ref _requestsSent); Interlocked.Add(ref _streamBytesSent, bytes); }
    internal void ReplyReceived(int bytes) { Interlocked.Increment(ref _repliesReceived); Interlocked.Add(ref _streamBytesReceived, bytes); }
    internal void RequestServed(int requestBytes) { Interlocked.Increment(ref _requestsServed); Interlocked.Add(ref _streamBytesReceived, requestBytes); }
    internal void ReplySent(int bytes) => Interlocked.Add(ref _streamBytesSent, bytes);

    public override string ToString() =>
        $"udp sent {DatagramsSent}/{DatagramBytesSent} B, received {DatagramsReceived}/{DatagramBytesReceived} B, dropped [{DatagramDrops}]; " +
        $"tcp requests {StreamRequestsSent} (replies {StreamRepliesReceived}), served {StreamRequestsServed}, refused {StreamRefusals}, dropped [{StreamDrops}]";
}
