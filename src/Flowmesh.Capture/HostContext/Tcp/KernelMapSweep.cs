using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>Removes a kernel hash map's entries that were last updated before a moment (bpf_ktime_get_ns time).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static unsafe class KernelMapSweep
{
    public delegate long LastUpdate<TValue>(in TValue value);

    /// <returns>How many entries were removed.</returns>
    public static int RemoveIdle<TKey, TValue>(int mapFd, int maxEntries, LastUpdate<TValue> lastUpdate, long before)
        where TKey : unmanaged where TValue : unmanaged
    {
        // Keys first, deletions after: deleting the key get_next_key continues from would restart the walk.
        var idle = new List<TKey>();
        TKey key = default, next = default;
        TValue value = default;
        bool first = true;
        for (int visited = 0; visited <= maxEntries; visited++)
        {
            if (Libbpf.bpf_map_get_next_key(mapFd, first ? null : &key, &next) != 0) break;
            first = false;
            key = next;
            if (Libbpf.bpf_map_lookup_elem(mapFd, &key, &value) == 0 && lastUpdate(in value) < before) idle.Add(key);
        }
        int removed = 0;
        foreach (TKey stale in idle)
        {
            TKey copy = stale;
            if (Libbpf.bpf_map_delete_elem(mapFd, &copy) == 0) removed++;
        }
        return removed;
    }
}
