namespace Flowmesh.Gossip.Security;

/// <summary>
/// Decides whether an authenticated (sender, timestamp, sequence) is fresh. A sender we know is judged by its
/// sequence numbers alone, never by how its clock compares with ours: each sender's last
/// <see cref="RememberedSequences"/> accepted sequence numbers are remembered, plus a floor at or above every one
/// forgotten, so a packet is accepted at most once. Sequence numbers count up by one per packet from a start each life
/// reserves above the previous one (<see cref="SequenceReservation"/>), so a sender whose clock is an hour off, or
/// jumps by days, stays fresh (issue 15: a PC an hour ahead was cut off by the old 60 s check against the receiver's
/// clock). Reordering is sized in packets and in the sender's own time: a packet behind the newest is refused only when
/// more than <see cref="RememberedSequences"/> packets behind, or when its timestamp is more than
/// <see cref="ReorderWindowMs"/> (5 s) behind the newest one's, so tens of milliseconds of reordering are never a replay.
/// The receiver's clock matters only at first contact (a sender not tracked: new, or forgotten, or after our restart):
/// its timestamp must be within the window of our clock (<see cref="SealedPacketOptions.ReplayWindow"/>, a day), which
/// bounds how old a captured packet replayed to a receiver that does not know its sender can be.
/// Memory is bounded: <see cref="RememberedSequences"/> × 8 bytes per sender and at most MaxTrackedSenders senders, the
/// least recently heard forgotten first. Forgetting a sender must not reopen its old packets to replay, so the
/// guard keeps a floor: packets from an untracked sender no newer than the newest timestamp it ever forgot are
/// refused. The floor is raised at most to our own clock, so a forgotten sender whose clock ran ahead cannot lock
/// everyone else out; the price: while senders are being forgotten (more active senders than the cap), a new sender
/// whose clock lags the forgotten ones is refused until its clock passes the floor, so the cap must exceed the cluster.
/// Not thread-safe: the opener serialises calls.
/// </summary>
internal sealed class ReplayGuard
{
    /// <summary>Accepted sequence numbers remembered per sender (2 KiB): reordering deeper than this many packets is refused.</summary>
    public const int RememberedSequences = 256;

    /// <summary>A packet whose timestamp is this far behind the sender's newest (by the sender's own clock) is refused:
    /// 5 s, more than a stream's connect timeout, far more than any LAN or Wi-Fi reorders.</summary>
    public const long ReorderWindowMs = 5_000;

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
        if (_senders.TryGetValue(sender, out var node))
        {
            if (!node.Value.TryAccept(sequence, timestampMs)) return GossipDropReason.Replayed;
            node.Value.LastHeardMs = Math.Min(timestampMs, nowMs);
            _recency.Remove(node);
            _recency.AddLast(node);
            return null;
        }

        // First contact: only here does our clock judge theirs. Subtraction could overflow for hostile timestamps.
        if (timestampMs < SaturatingAdd(nowMs, -_windowMs) || timestampMs > SaturatingAdd(nowMs, _windowMs))
            return GossipDropReason.TooOld;
        if (timestampMs <= _forgottenFloorMs) return GossipDropReason.TooOld;

        if (_senders.Count >= _maxSenders)
        {
            var oldest = _recency.First!;
            _recency.RemoveFirst();
            _senders.Remove(oldest.Value.Sender);
            _forgottenFloorMs = Math.Max(_forgottenFloorMs, oldest.Value.LastHeardMs);
        }
        var state = new SenderState(sender, Math.Min(timestampMs, nowMs));
        state.TryAccept(sequence, timestampMs);
        _senders[sender] = _recency.AddLast(state);
        return null;
    }

    private static long SaturatingAdd(long a, long b)
    {
        var sum = unchecked(a + b);
        if (((a ^ sum) & (b ^ sum)) < 0) return b > 0 ? long.MaxValue : long.MinValue;
        return sum;
    }

    private sealed class SenderState(NodeId sender, long lastHeardMs)
    {
        // Ring of the last accepted sequence numbers, in arrival order; _floor is at or above every one overwritten.
        private readonly ulong[] _recent = new ulong[RememberedSequences];
        private int _count, _next;
        private ulong _highest, _floor;
        private long _highestTimestampMs;
        private bool _forgotAny;

        public NodeId Sender { get; } = sender;

        /// <summary>The sender's newest timestamp, but never later than our clock when it arrived (the forgotten floor).</summary>
        public long LastHeardMs { get; set; } = lastHeardMs;

        public bool TryAccept(ulong sequence, long timestampMs)
        {
            if (_count > 0)
            {
                // Behind the newest: reordering within 5 s of the sender's own time, or a replay.
                if (sequence < _highest && timestampMs < SaturatingAdd(_highestTimestampMs, -ReorderWindowMs)) return false;
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
            if (sequence > _highest || _count == 1)
            {
                // Above everything accepted: never seen, so fresh whatever its clock says (a jump moves the reference).
                _highest = sequence;
                _highestTimestampMs = timestampMs;
            }
            return true;
        }
    }
}
