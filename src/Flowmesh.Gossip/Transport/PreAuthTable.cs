using System.Net;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// Inbound connections whose request has not authenticated yet: at most <c>perAddress</c> per source address, at most
/// <c>total</c> overall. A new connection over the total evicts one entry (its deadline is cancelled): the oldest of
/// the address that holds the most. A genuine request leaves this table after one round trip, while connections held
/// open by someone without the key stay until their deadline, so the busiest address and the oldest entries are the
/// holders'; a peer with one request in flight is evicted only once every address holds just one. Entry and leave
/// are O(1); an eviction scans the addresses present (at most <c>total</c>). One lock.
/// </summary>
internal sealed class PreAuthTable(int total, int perAddress)
{
    private readonly object _lock = new();
    private readonly Dictionary<IPAddress, LinkedList<Slot>> _byAddress = [];
    private int _count;

    public int Count
    {
        get { lock (_lock) return _count; }
    }

    /// <summary>Null when <paramref name="address"/> already holds its share; otherwise the slot, and in
    /// <paramref name="evicted"/> the slot closed to make room (the caller cancels it outside the lock).</summary>
    public Slot? TryEnter(IPAddress address, CancellationTokenSource deadline, out Slot? evicted)
    {
        evicted = null;
        lock (_lock)
        {
            if (_byAddress.TryGetValue(address, out var own) && own.Count >= perAddress) return null;
            if (_count >= total)
            {
                evicted = Victim();
                RemoveLocked(evicted);
                evicted.Evicted = true;
            }
            if (!_byAddress.TryGetValue(address, out own)) _byAddress[address] = own = new LinkedList<Slot>();
            var slot = new Slot(address, deadline, Environment.TickCount64);
            slot.Node = own.AddLast(slot);
            _count++;
            return slot;
        }
    }

    /// <summary>The connection authenticated, failed or timed out: it leaves the table (no-op if it was evicted).</summary>
    public void Leave(Slot slot)
    {
        lock (_lock)
        {
            if (slot.Node is not null) RemoveLocked(slot);
        }
    }

    private Slot Victim()
    {
        Slot? victim = null;
        var most = 0;
        foreach (var list in _byAddress.Values)
        {
            var oldest = list.First!.Value;
            if (list.Count > most || (list.Count == most && oldest.EnteredMs < victim!.EnteredMs))
            {
                most = list.Count;
                victim = oldest;
            }
        }
        return victim!;
    }

    private void RemoveLocked(Slot slot)
    {
        var list = slot.Node!.List!;
        list.Remove(slot.Node);
        slot.Node = null;
        _count--;
        if (list.Count == 0) _byAddress.Remove(slot.Address);
    }

    internal sealed class Slot(IPAddress address, CancellationTokenSource deadline, long enteredMs)
    {
        private volatile bool _evicted;

        public IPAddress Address { get; } = address;
        public CancellationTokenSource Deadline { get; } = deadline;
        public long EnteredMs { get; } = enteredMs;
        public LinkedListNode<Slot>? Node { get; set; }

        /// <summary>Set (under the table's lock) when a newer connection took this slot.</summary>
        public bool Evicted { get => _evicted; set => _evicted = value; }

        /// <summary>Ends the connection's wait for its frame; harmless if the connection already finished.</summary>
        public void Cancel()
        {
            try { Deadline.Cancel(); }
            catch (ObjectDisposedException) { }
        }
    }
}
