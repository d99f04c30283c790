namespace Flowmesh.Gossip.Security;

/// <summary>
/// Decides whether an authenticated (sender, timestamp, sequence) is fresh. Timestamps outside the window are
/// refused outright; inside it, each sender's last <see cref="RememberedSequences"/> accepted sequence numbers are
/// remembered, plus a floor at or above every one forgotten, so a packet is accepted at most once. Sequence numbers
/// are the sender's clock in microseconds (PacketSealer), so the window is sized in time and packets, not in sequence
/// units: a packet is refused as too far behind only when it is more than <see cref="ReorderWindowMicros"/> (5 s)
/// behind the newest, or below the floor (more than <see cref="RememberedSequences"/> packets behind). The earlier
/// 1 024-number bitmap tolerated about 1 ms of reordering, so a few ms of queueing looked like a replay (issue 15).
/// Memory is bounded: <see cref="RememberedSequences"/> × 8 bytes per sender and at most MaxTrackedSenders senders, the
/// least recently heard forgotten first. Forgetting a sender must not reopen its old packets to replay, so the
/// guard keeps a floor: packets from an untracked sender no newer than the newest timestamp it ever forgot are
/// refused. The price: while senders are being forgotten (more active senders than the cap), a new sender whose
/// clock lags the forgotten ones is refused until its clock passes the floor, so the cap must exceed the cluster.
/// Not thread-safe: the opener serialises calls.
/// </summary>
internal sealed class ReplayGuard
{
    /// <summary>Accepted sequence numbers remembered per sender (2 KiB): reordering deeper than this many packets is refused.</summary>
    public const int RememberedSequences = 256;

    /// <summary>Sequence numbers (microseconds of the sender's clock) this far behind the newest are refused: 5 s, more
    /// than a stream's connect timeout, far more than any LAN or Wi-Fi reorders.</summary>
    public const ulong ReorderWindowMicros = 5_000_000;

    private readonly long _windowMs;
    private readonly int _maxSenders;
    private readonly Dictionary<NodeId, LinkedListNode<SenderState>> _senders = [];
    // Least recently heard at the front: eviction is O(1) even under a flood of distinct senders.
    private readonly LinkedList<SenderState> _recency = new();
    private long _forgottenFloorMs = long.MinValue;

    public ReplayGuard(TimeSpan window, int maxSenders)
    {
        _windowMs = (long)window.TotalMilliseconds;
        _maxSenders = maxSenders;
    }

    public int TrackedSenders => _senders.Count;

    /// <summary>Returns null when fresh (and records it), otherwise the reason to drop.</summary>
    public GossipDropReason? Check(NodeId sender, long timestampMs, ulong sequence, long nowMs)
    {
        // Subtraction in checked-free long arithmetic could overflow for hostile timestamps; compare via bounds.
        if (timestampMs < SaturatingAdd(nowMs, -_windowMs) || timestampMs > SaturatingAdd(nowMs, _windowMs))
            return GossipDropReason.TooOld;

        if (_senders.TryGetValue(sender, out var node))
        {
            if (!node.Value.TryAccept(sequence)) return GossipDropReason.Replayed;
            node.Value.LastTimestampMs = Math.Max(node.Value.LastTimestampMs, timestampMs);
            _recency.Remove(node);
            _recency.AddLast(node);
            return null;
        }

        if (timestampMs <= _forgottenFloorMs) return GossipDropReason.TooOld;

        if (_senders.Count >= _maxSenders)
        {
            var oldest = _recency.First!;
            _recency.RemoveFirst();
            _senders.Remove(oldest.Value.Sender);
            _forgottenFloorMs = Math.Max(_forgottenFloorMs, oldest.Value.LastTimestampMs);
        }
        var state = new SenderState(sender, timestampMs);
        state.TryAccept(sequence);
        _senders[sender] = _recency.AddLast(state);
        return null;
    }

    private static long SaturatingAdd(long a, long b)
    {
        var sum = unchecked(a + b);
        if (((a ^ sum) & (b ^ sum)) < 0) return b > 0 ? long.MaxValue : long.MinValue;
        return sum;
    }

    private sealed class SenderState(NodeId sender, long timestampMs)
    {
        // Ring of the last accepted sequence numbers, in arrival order; _floor is at or above every one overwritten.
        private readonly ulong[] _recent = new ulong[RememberedSequences];
        private int _count, _next;
        private ulong _highest, _floor;
        private bool _forgotAny;

        public NodeId Sender { get; } = sender;
        public long LastTimestampMs { get; set; } = timestampMs;

        public bool TryAccept(ulong sequence)
        {
            if (_count > 0)
            {
                // Too far behind to be reordering, or behind what was forgotten: refuse rather than risk a replay.
                if (sequence < _highest && _highest - sequence > ReorderWindowMicros) return false;
                if (_forgotAny && sequence <= _floor) return false;
                if (Array.IndexOf(_recent, sequence, 0, _count) >= 0) return false;
            }
            if (_count == RememberedSequences)
            {
                _floor = _forgotAny ? Math.Max(_floor, _recent[_next]) : _recent[_next];
                _forgotAny = true;
            }
            else _count++;
            _recent[_next] = sequence;
            _next = (_next + 1) % RememberedSequences;
            if (sequence > _highest || _count == 1) _highest = sequence;
            return true;
        }
    }
}
