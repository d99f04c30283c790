using System.Runtime.CompilerServices;

namespace Flowmesh.Core.Flows;

/// <summary>
/// An array of structs that grows by adding fixed chunks instead of copying: the flow table's entries and export marks.
/// Growing a flat array to 100,000 flows copied every entry once more and touched twice the memory, 7 % of an offline
/// run on this VM, where each first touch of a page is a costly fault (docs/performance.md). Elements added
/// by <see cref="Grow"/> are uninitialized: the table clears each slot when it hands it out.
/// </summary>
internal sealed class ChunkedArray<T> where T : struct
{
    private const int Shift = 12;
    private const int ChunkLength = 1 << Shift;
    private const int Mask = ChunkLength - 1;
    private T[][] _chunks;

    /// <summary>An array of <paramref name="capacity"/> zeroed elements (growth adds uninitialized ones).</summary>
    public ChunkedArray(int capacity)
    {
        capacity = Math.Max(capacity, 1);
        int chunks = (capacity + Mask) >> Shift;
        _chunks = new T[chunks][];
        for (int i = 0; i < chunks; i++) _chunks[i] = new T[chunks == 1 ? capacity : ChunkLength];
        Capacity = capacity;
    }

    public int Capacity { get; private set; }

    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _chunks[index >> Shift][index & Mask];
    }

    /// <summary>At least one more element, at most <paramref name="limit"/> in all.</summary>
    public void Grow(int limit)
    {
        if (Capacity >= limit) throw new InvalidOperationException($"the array already holds {Capacity} of at most {limit}");
        var first = _chunks[0];
        if (_chunks.Length == 1 && first.Length < ChunkLength)
        {
            // Below one chunk, double the first (a small table stays small), copying at most a chunk.
            var larger = GC.AllocateUninitializedArray<T>(Math.Min(Math.Min(first.Length * 2, ChunkLength), limit));
            first.CopyTo(larger, 0);
            _chunks[0] = larger;
            Capacity = larger.Length;
            return;
        }
        Array.Resize(ref _chunks, _chunks.Length + 1);
        _chunks[^1] = GC.AllocateUninitializedArray<T>(ChunkLength);
        Capacity = Math.Min(Capacity + ChunkLength, limit);
    }
}
