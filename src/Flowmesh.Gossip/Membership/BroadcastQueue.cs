namespace Flowmesh.Gossip.Membership;

/// <summary>
/// News waiting to be piggybacked. Each item is sent up to <c>RetransmitMultiplier · ceil(log10(N+1))</c> times,
/// which in epidemic terms reaches every node with high probability. Least-sent items go first so fresh news
/// overtakes old; among equals the newest goes first (memberlist's LIFO lesson at 10k nodes). A newer message about
/// the same node replaces the older one, which would only waste space, and the queue is bounded.
/// </summary>
public sealed class BroadcastQueue(MembershipOptions options)
{
    private readonly List<Item> _items = [];
    private long _nextId;

    public int Count => _items.Count;

    /// <summary>Items dropped because the queue was full.</summary>
    public long Dropped { get; private set; }

    public void Enqueue(NodeId subject, byte[] encodedMessage)
    {
        _items.RemoveAll(i => i.Subject == subject);
        _items.Add(new Item(subject, encodedMessage, _nextId++));
        if (_items.Count > options.MaxQueuedBroadcasts)
        {
            // The item sent most often has done most of its work; ties drop the oldest.
            var victim = _items.OrderByDescending(i => i.Transmits).ThenBy(i => i.Id).First();
            _items.Remove(victim);
            Dropped++;
        }
    }

    /// <summary>
    /// Takes messages totalling at most <paramref name="byteBudget"/> bytes for one packet, counting a transmit for
    /// each and retiring those that reached the limit for a cluster of <paramref name="members"/>.
    /// </summary>
    public List<byte[]> Take(int byteBudget, int maxMessages, int members)
    {
        var taken = new List<byte[]>();
        if (_items.Count == 0 || byteBudget <= 0 || maxMessages <= 0) return taken;
        var limit = Math.Max(1, options.RetransmitLimit(members));
        _items.Sort(static (a, b) => a.Transmits != b.Transmits ? a.Transmits.CompareTo(b.Transmits) : b.Id.CompareTo(a.Id));
        foreach (var item in _items)
        {
            if (taken.Count == maxMessages) break;
            if (item.Message.Length > byteBudget) continue;
            byteBudget -= item.Message.Length;
            taken.Add(item.Message);
            item.Transmits++;
        }
        _items.RemoveAll(i => i.Transmits >= limit);
        return taken;
    }

    private sealed class Item(NodeId subject, byte[] message, long id)
    {
        public NodeId Subject { get; } = subject;
        public byte[] Message { get; } = message;
        public long Id { get; } = id;
        public int Transmits { get; set; }
    }
}
