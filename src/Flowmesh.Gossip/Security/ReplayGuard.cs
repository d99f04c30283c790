namespace Flowmesh.Gossip.Security;

/// <summary>
/// Decides whether an authenticated (sender, timestamp, sequence) is fresh. Timestamps outside the window are
/// refused outright; inside it, each sender's recent sequence numbers are remembered in a sliding bitmap (as in
/// IPsec anti-replay), so a packet is accepted at most once and moderate reordering is tolerated.
/// Memory is bounded: <see cref="SequenceWindow"/> bits per sender and at most MaxTrackedSenders senders, the
/// least recently heard forgotten first. Forgetting a sender must not reopen its old packets to replay, so the
/// guard keeps a floor: packets from an untracked sender no newer than the newest timestamp it ever forgot are
/// refused. The price: while senders are being forgotten (more active senders than the cap), a new sender whose
/// clock lags the forgotten ones is refused until its clock passes the floor, so the cap must exceed the cluster.
/// Not thread-safe: the opener serialises calls.
/// </summary>
internal sealed class ReplayGuard
{
    /// <summary>Sequence numbers this far behind the highest seen are refused (reordering deeper than this is not gossip).</summary>
    public const int SequenceWindow = 1024;

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
        private readonly ulong[] _seen = new ulong[SequenceWindow / 64];
        private ulong _highest;
        private bool _any;

        public NodeId Sender { get; } = sender;
        public long LastTimestampMs { get; set; } = timestampMs;

        public bool TryAccept(ulong sequence)
        {
            if (!_any)
            {
                _any = true;
                _highest = sequence;
                Set(sequence);
                return true;
            }
            if (sequence > _highest)
            {
                var advance = sequence - _highest;
                if (advance >= SequenceWindow) Array.Clear(_seen);
                else
                    for (var s = _highest + 1; s != sequence; s++) Clear(s);
                _highest = sequence;
                Set(sequence);
                return true;
            }
            // Too far behind to know whether it was seen: refuse rather than risk accepting a replay.
            if (_highest - sequence >= SequenceWindow) return false;
            if (IsSet(sequence)) return false;
            Set(sequence);
            return true;
        }

        // Ring of bits indexed by sequence modulo the window.
        private void Set(ulong s) => _seen[(int)(s % SequenceWindow) / 64] |= 1UL << (int)(s % 64);
        private void Clear(ulong s) => _seen[(int)(s % SequenceWindow) / 64] &= ~(1UL << (int)(s % 64));
        private bool IsSet(ulong s) => (_seen[(int)(s % SequenceWindow) / 64] & (1UL << (int)(s % 64))) != 0;
    }
}
