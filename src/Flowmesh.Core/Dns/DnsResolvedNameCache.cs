using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Dns;

/// <summary>
/// Which name each client resolved to each address, for as long as the answer said (its TTL, held between a minimum
/// and a maximum: a connection often outlives a short TTL, and a week-long TTL should not pin memory). Keyed by client
/// as well as address, so a capture of many PCs names each flow with what its own PC asked for. Bounded: beyond
/// <see cref="Capacity"/> the least recently resolved entry goes (<see cref="Evictions"/> counts those still valid).
/// Not thread-safe: <see cref="DnsTrafficMonitor"/> serializes it.
/// </summary>
public sealed class DnsResolvedNameCache
{
    private readonly Dictionary<(IpAddress128 Client, IpAddress128 Address), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _byAge = new();
    private readonly long _minimumMicros;
    private readonly long _maximumMicros;

    public DnsResolvedNameCache(int capacity, TimeSpan minimumTtl, TimeSpan maximumTtl)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumTtl, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumTtl, minimumTtl);
        Capacity = capacity;
        _minimumMicros = (long)minimumTtl.TotalMicroseconds;
        _maximumMicros = (long)maximumTtl.TotalMicroseconds;
    }

    public int Capacity { get; }
    public int Count => _entries.Count;

    /// <summary>Entries pushed out before their time because the cache was full.</summary>
    public long Evictions { get; private set; }

    /// <summary>Remembers that <paramref name="client"/> resolved <paramref name="name"/> to <paramref name="address"/> at <paramref name="atMicros"/>.</summary>
    public void Add(IpAddress128 client, IpAddress128 address, string name, uint ttlSeconds, long atMicros)
    {
        long expires = atMicros + Math.Clamp(ttlSeconds * 1_000_000L, _minimumMicros, _maximumMicros);
        var key = (client, address);
        if (_entries.TryGetValue(key, out var node))
        {
            _byAge.Remove(node);
            node.Value = new Entry(key, name, expires);
            _byAge.AddLast(node);
            return;
        }
        if (_entries.Count >= Capacity)
        {
            var oldest = _byAge.First!;
            if (oldest.Value.ExpiresMicros >= atMicros) Evictions++;
            _entries.Remove(oldest.Value.Key);
            _byAge.RemoveFirst();
        }
        _entries[key] = _byAge.AddLast(new Entry(key, name, expires));
    }

    /// <summary>The name <paramref name="client"/> last resolved to <paramref name="address"/>, if still valid at <paramref name="atMicros"/>.</summary>
    public string? Find(IpAddress128 client, IpAddress128 address, long atMicros) =>
        _entries.TryGetValue((client, address), out var node) && node.Value.ExpiresMicros >= atMicros ? node.Value.Name : null;

    private readonly record struct Entry((IpAddress128 Client, IpAddress128 Address) Key, string Name, long ExpiresMicros);
}
