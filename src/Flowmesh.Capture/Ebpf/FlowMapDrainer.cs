using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// Empties the kernel flow maps into a reusable array. The program adds into one of two flow hashes; a drain first
/// points the program at the other one (the update returns after an RCU grace period, so no CPU still adds into the
/// old one) and then empties the old one alone, so no packet can fall between a read and a delete. Emptying uses
/// BPF_MAP_LOOKUP_AND_DELETE_BATCH (one syscall per up to 4096 flows, Linux 5.6+); where that is missing it walks
/// the keys first (deleting while walking restarts the walk) and then takes each one out with lookup-and-delete, or
/// lookup + delete on kernels whose hash maps lack that (before 5.14). Should the swap itself fail, the map in use is
/// emptied in place, which can lose a packet that arrives between a read and its delete (counted in
/// <see cref="SwapFailures"/>).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal sealed unsafe class FlowMapDrainer : IDisposable
{
    private const int Chunk = 4096;
    private const int BatchTokenSize = 64; // hash maps use a 4-byte bucket cursor; room to spare

    private readonly FlowMapFds _maps;
    private int _mapFd;
    private bool _secondActive;
    private KernelFlowKey* _keys;
    private KernelFlowValue* _values;
    private KernelFlowEntry[] _entries = new KernelFlowEntry[Chunk];
    private readonly List<KernelFlowKey> _walkedKeys = [];
    private int _count;
    private bool _batchUnsupported;
    private bool _lookupAndDeleteUnsupported;

    public FlowMapDrainer(FlowMapFds maps)
    {
        _maps = maps;
        _keys = (KernelFlowKey*)NativeMemory.Alloc(Chunk, (nuint)sizeof(KernelFlowKey));
        _values = (KernelFlowValue*)NativeMemory.Alloc(Chunk, (nuint)sizeof(KernelFlowValue));
    }

    /// <summary>Drains whose swap failed, so the map in use was emptied in place.</summary>
    public long SwapFailures { get; private set; }

    /// <summary>For tests: drain the slow way even where batches work.</summary>
    internal bool ForceKeyWalk { get; set; }

    /// <summary>Whether the last drain used the batch syscall.</summary>
    public bool LastDrainUsedBatch { get; private set; }

    /// <summary>The flows since the previous drain; the span is valid until the next call.</summary>
    public ReadOnlySpan<KernelFlowEntry> Drain()
    {
        _count = 0;
        _mapFd = SwapActiveMap();
        LastDrainUsedBatch = !_batchUnsupported && !ForceKeyWalk && DrainInBatches();
        if (!LastDrainUsedBatch) DrainByKeyWalk();
        return new ReadOnlySpan<KernelFlowEntry>(_entries, 0, _count);
    }

    /// <summary>Points the program at the other flow map; returns the one to empty (the one in use should the swap fail).</summary>
    private int SwapActiveMap()
    {
        int current = _secondActive ? _maps.Second : _maps.First;
        int next = _secondActive ? _maps.First : _maps.Second;
        uint slot = 0;
        if (Libbpf.bpf_map_update_elem(_maps.ActiveSlot, &slot, &next, 0) != 0)
        {
            SwapFailures++;
            return current;
        }
        _secondActive = !_secondActive;
        return current;
    }

    /// <summary>False when the kernel has no batch operations for this map (nothing drained then).</summary>
    private bool DrainInBatches()
    {
        byte* inToken = stackalloc byte[BatchTokenSize];
        byte* outToken = stackalloc byte[BatchTokenSize];
        bool first = true;
        while (true)
        {
            uint count = Chunk;
            BpfMapBatchOptions options = BpfMapBatchOptions.Default;
            int result = Libbpf.bpf_map_lookup_and_delete_batch(_mapFd, first ? null : inToken, outToken, _keys, _values, &count, &options);
            if (result != 0 && result != -Errno.NoEntry)
            {
                if (first && count == 0 && result is -Errno.InvalidArgument or -Errno.NotSupported or -Errno.KernelNotSupported)
                {
                    _batchUnsupported = true;
                    return false;
                }
                throw new CaptureSetupException($"draining the eBPF flow map failed: {Errno.Describe(result)}");
            }
            Append(count);
            if (result == -Errno.NoEntry) return true; // end of map; may come with the last entries
            Buffer.MemoryCopy(outToken, inToken, BatchTokenSize, BatchTokenSize);
            first = false;
        }
    }

    private void DrainByKeyWalk()
    {
        _walkedKeys.Clear();
        KernelFlowKey key;
        KernelFlowKey next;
        int result = Libbpf.bpf_map_get_next_key(_mapFd, null, &next);
        while (result == 0)
        {
            _walkedKeys.Add(next);
            key = next;
            result = Libbpf.bpf_map_get_next_key(_mapFd, &key, &next);
        }
        if (result != -Errno.NoEntry)
            throw new CaptureSetupException($"walking the eBPF flow map failed: {Errno.Describe(result)}");

        foreach (KernelFlowKey walked in _walkedKeys)
        {
            KernelFlowKey k = walked;
            KernelFlowValue value;
            if (TakeOut(&k, &value))
            {
                EnsureRoom(1);
                _entries[_count++] = new KernelFlowEntry(k, value);
            }
        }
    }

    private bool TakeOut(KernelFlowKey* key, KernelFlowValue* value)
    {
        if (!_lookupAndDeleteUnsupported)
        {
            int result = Libbpf.bpf_map_lookup_and_delete_elem(_mapFd, key, value);
            if (result == 0) return true;
            if (result == -Errno.NoEntry) return false;
            if (result is not (-Errno.InvalidArgument or -Errno.NotSupported or -Errno.KernelNotSupported))
                throw new CaptureSetupException($"taking a flow out of the eBPF flow map failed: {Errno.Describe(result)}");
            _lookupAndDeleteUnsupported = true;
        }
        if (Libbpf.bpf_map_lookup_elem(_mapFd, key, value) != 0) return false;
        Libbpf.bpf_map_delete_elem(_mapFd, key);
        return true;
    }

    private void Append(uint count)
    {
        EnsureRoom((int)count);
        for (int i = 0; i < count; i++)
            _entries[_count++] = new KernelFlowEntry(_keys[i], _values[i]);
    }

    private void EnsureRoom(int more)
    {
        if (_count + more > _entries.Length)
            Array.Resize(ref _entries, Math.Max(_entries.Length * 2, _count + more));
    }

    public void Dispose()
    {
        NativeMemory.Free(_keys);
        NativeMemory.Free(_values);
        _keys = null;
        _values = null;
    }
}
