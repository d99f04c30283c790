using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>Walks a kernel hash map from user space: snapshots its entries, removes those idle since a moment (bpf_ktime_get_ns time).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static unsafe class KernelMapSweep
{
    public delegate long LastUpdate<TValue>(in TValue value);

    /// <returns>How many entries were removed.</returns>
    public static int RemoveIdle<TKey, TValue>(int mapFd, int maxEntries, LastUpdate<TValue> lastUpdate, long before)
        where TKey : unmanaged where TValue : unmanaged
    {
        // Keys first, deletions after: deleting the key get_next_key continues from would restart the walk.
        int removed = 0;
        foreach (var (key, value) in Entries<TKey, TValue>(mapFd, maxEntries))
        {
            if (lastUpdate(in value) >= before) continue;
            TKey stale = key;
            if (Libbpf.bpf_map_delete_elem(mapFd, &stale) == 0) removed++;
        }
        return removed;
    }

    /// <summary>A snapshot of the map's entries, at most <paramref name="maxEntries"/> + 1 (the map may change meanwhile).</summary>
    public static List<KeyValuePair<TKey, TValue>> Entries<TKey, TValue>(int mapFd, int maxEntries)
        where TKey : unmanaged where TValue : unmanaged
    {
        var entries = new List<KeyValuePair<TKey, TValue>>();
        TKey key = default, next = default;
        TValue value = default;
        for (bool first = true; entries.Count <= maxEntries && Libbpf.bpf_map_get_next_key(mapFd, first ? null : &key, &next) == 0; first = false)
        {
            key = next;
            if (Libbpf.bpf_map_lookup_elem(mapFd, &key, &value) == 0) entries.Add(new(key, value));
        }
        return entries;
    }
}
