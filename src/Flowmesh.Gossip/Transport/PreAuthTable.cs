using System.Net;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// Inbound connections whose request has not authenticated yet: at most <c>perAddress</c> per source address, at most
/// <c>total</c> overall. A new connection over the total evicts the oldest entry (its deadline is cancelled), because
/// a genuine request leaves this table after one round trip while a connection held open by someone without the key
/// stays until its deadline: the oldest entries are the holders. O(1) per operation, one lock.
/// </summary>
internal sealed class PreAuthTable(int total, int perAddress)
{
    private readonly object _lock = new();
    private readonly LinkedList<Slot> _order = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];

    public int Count
    {
        get { lock (_lock) return _order.Count; }
    }

    /// <summary>Source addresses with at least one unauthenticated connection (bounded by the total).</summary>
    public int Addresses
    {
        get { lock (_lock) return _perAddress.Count; }
    }

    /// <summary>Null when <paramref name="address"/> already holds its share; otherwise the slot, and in
    /// <paramref name="evicted"/> the oldest slot closed to make room (the caller cancels it outside the lock).</summary>
    public Slot? TryEnter(IPAddress address, CancellationTokenSource deadline, out Slot? evicted)
    {
        evicted = null;
        lock (_lock)
        {
            var held = _perAddress.GetValueOrDefault(address);
            if (held >= perAddress) return null;
            if (_order.Count >= total)
            {
                evicted = _order.First!.Value;
                RemoveLocked(evicted);
                evicted.Evicted = true;
                held = _perAddress.GetValueOrDefault(address);
            }
            var slot = new Slot(address, deadline);
            slot.Node = _order.AddLast(slot);
            _perAddress[address] = held + 1;
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

    private void RemoveLocked(Slot slot)
    {
        _order.Remove(slot.Node!);
        slot.Node = null;
        var left = _perAddress[slot.Address] - 1;
        if (left == 0) _perAddress.Remove(slot.Address);
        else _perAddress[slot.Address] = left;
    }

    internal sealed class Slot(IPAddress address, CancellationTokenSource deadline)
    {
        public IPAddress Address { get; } = address;
        public CancellationTokenSource Deadline { get; } = deadline;
        public LinkedListNode<Slot>? Node { get; set; }
        private volatile bool _evicted;

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
