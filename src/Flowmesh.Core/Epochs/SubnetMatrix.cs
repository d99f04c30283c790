using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Bounded subnet-to-subnet traffic matrix: at most k cells with [lower, upper] bounds on bytes and packets,
/// plus the remainder, the traffic not attributed to any cell's lower bound.
/// </summary>
/// <remarks>
/// <para>Within one epoch the summary tracks cells exactly (up to a working cap) and keeps the k heaviest by
/// bytes, so a record's cells are exact and everything else is the remainder.</para>
/// <para>Merge (additive, like Space-Saving): a cell present on both sides sums its bounds; a side that does not
/// track the cell contributes [0, that side's remainder], since an untracked cell cannot exceed the unattributed
/// traffic. The k cells with the most proven bytes (largest lower bound; ties by upper, then by subnet bytes) are kept,
/// the remainder becomes total - sum(lower), and every upper is clamped to lower + remainder. All bounds stay true
/// whichever cells are kept. Ranking by the upper bound instead let light cells win after many merges of lossy
/// matrices (a view merged slot by slot): a cell missing from one side takes that side's whole remainder into its
/// upper bound, so after a few dozen merges every rarely seen cell looked heavier than a steady one. A sealed record's
/// cells are exact (lower = upper), so its cells are the same either way. Not idempotent:
/// merging a matrix twice counts it twice, so matrices are only combined through <see cref="EpochRecordSet"/>
/// and <see cref="EpochRollup"/>.</para>
/// </remarks>
internal sealed class SubnetMatrix
{
    public const int CellBytes = 64;
    public const int HeaderBytes = 36;

    private List<MatrixCell> _cells;

    public SubnetMatrix(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, ushort.MaxValue);
        Capacity = capacity;
        _cells = [];
    }

    public int Capacity { get; }
    public ulong TotalBytes { get; private set; }
    public ulong TotalPackets { get; private set; }
    public ulong RemainderBytes { get; private set; }
    public ulong RemainderPackets { get; private set; }
    public IReadOnlyList<MatrixCell> Cells => _cells;

    public int SerializedSize => HeaderBytes + _cells.Count * CellBytes;

    /// <summary>Seals exact per-cell counts: keeps the heaviest <see cref="Capacity"/>, the rest (and <paramref name="overflowBytes"/>, <paramref name="overflowPackets"/>) becomes the remainder.</summary>
    public static SubnetMatrix FromExact(int capacity, IEnumerable<KeyValuePair<(AddressPrefix Source, AddressPrefix Destination), (ulong Bytes, ulong Packets)>> cells, ulong overflowBytes, ulong overflowPackets)
    {
        var matrix = new SubnetMatrix(capacity);
        var all = cells.Select(c => new MatrixCell(c.Key.Source, c.Key.Destination, c.Value.Bytes, c.Value.Bytes, c.Value.Packets, c.Value.Packets)).ToList();
        matrix.TotalBytes = overflowBytes;
        matrix.TotalPackets = overflowPackets;
        foreach (var c in all)
        {
            matrix.TotalBytes += c.BytesLower;
            matrix.TotalPackets += c.PacketsLower;
        }
        matrix.KeepHeaviest(all);
        return matrix;
    }

    public void Merge(SubnetMatrix other)
    {
        if (other.Capacity != Capacity)
            throw new ArgumentException($"Cannot merge a {other.Capacity}-cell matrix into a {Capacity}-cell one.", nameof(other));
        var mine = _cells.ToDictionary(c => (c.Source, c.Destination));
        var theirs = other._cells.ToDictionary(c => (c.Source, c.Destination));
        var merged = new List<MatrixCell>(mine.Count + theirs.Count);
        foreach (var (key, a) in mine)
        {
            if (theirs.TryGetValue(key, out var b))
                merged.Add(a with { BytesLower = a.BytesLower + b.BytesLower, BytesUpper = a.BytesUpper + b.BytesUpper, PacketsLower = a.PacketsLower + b.PacketsLower, PacketsUpper = a.PacketsUpper + b.PacketsUpper });
            else
                merged.Add(a with { BytesUpper = a.BytesUpper + other.RemainderBytes, PacketsUpper = a.PacketsUpper + other.RemainderPackets });
        }
        foreach (var (key, b) in theirs)
        {
            if (!mine.ContainsKey(key))
                merged.Add(b with { BytesUpper = b.BytesUpper + RemainderBytes, PacketsUpper = b.PacketsUpper + RemainderPackets });
        }
        TotalBytes += other.TotalBytes;
        TotalPackets += other.TotalPackets;
        KeepHeaviest(merged);
    }

    private void KeepHeaviest(List<MatrixCell> candidates)
    {
        candidates.Sort((x, y) =>
        {
            int byBytes = y.BytesLower.CompareTo(x.BytesLower);
            if (byBytes == 0) byBytes = y.BytesUpper.CompareTo(x.BytesUpper);
            return byBytes != 0 ? byBytes : CompareKeys(x, y);
        });
        if (candidates.Count > Capacity) candidates.RemoveRange(Capacity, candidates.Count - Capacity);
        ulong attributedBytes = 0, attributedPackets = 0;
        foreach (var c in candidates)
        {
            attributedBytes += c.BytesLower;
            attributedPackets += c.PacketsLower;
        }
        RemainderBytes = TotalBytes - attributedBytes;
        RemainderPackets = TotalPackets - attributedPackets;
        for (int i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            candidates[i] = c with
            {
                BytesUpper = Math.Min(c.BytesUpper, c.BytesLower + RemainderBytes),
                PacketsUpper = Math.Min(c.PacketsUpper, c.PacketsLower + RemainderPackets),
            };
        }
        // Canonical order (by subnets) so equal matrices encode to equal bytes.
        candidates.Sort(CompareKeys);
        _cells = candidates;
    }

    private static int CompareKeys(MatrixCell x, MatrixCell y)
    {
        int c = x.Source.Network.CompareTo(y.Source.Network);
        return c != 0 ? c : x.Destination.Network.CompareTo(y.Destination.Network);
    }

    public void Write(EpochRecordWriter writer)
    {
        writer.WriteUInt16((ushort)Capacity);
        writer.WriteUInt16((ushort)_cells.Count);
        writer.WriteUInt64(TotalBytes);
        writer.WriteUInt64(TotalPackets);
        writer.WriteUInt64(RemainderBytes);
        writer.WriteUInt64(RemainderPackets);
        Span<byte> address = stackalloc byte[16];
        foreach (var c in _cells)
        {
            TrafficKey.WriteAddress(address, c.Source.Network);
            writer.WriteBytes(address);
            TrafficKey.WriteAddress(address, c.Destination.Network);
            writer.WriteBytes(address);
            writer.WriteUInt64(c.BytesLower);
            writer.WriteUInt64(c.BytesUpper);
            writer.WriteUInt64(c.PacketsLower);
            writer.WriteUInt64(c.PacketsUpper);
        }
    }

    public static SubnetMatrix Read(ref EpochRecordReader reader)
    {
        int capacity = reader.ReadUInt16();
        int count = reader.ReadUInt16();
        if (capacity < 1 || count > capacity)
            throw reader.Invalid($"matrix declares {count} cells with capacity {capacity}");
        var matrix = new SubnetMatrix(capacity)
        {
            TotalBytes = reader.ReadUInt64(),
            TotalPackets = reader.ReadUInt64(),
            RemainderBytes = reader.ReadUInt64(),
            RemainderPackets = reader.ReadUInt64(),
        };
        reader.Require((long)count * CellBytes, "matrix cells");
        var cells = new List<MatrixCell>(count);
        UInt128 bytesSum = matrix.RemainderBytes, packetsSum = matrix.RemainderPackets;
        for (int i = 0; i < count; i++)
        {
            var source = Subnet(ref reader, reader.ReadBytes(16));
            var destination = Subnet(ref reader, reader.ReadBytes(16));
            var cell = new MatrixCell(source, destination, reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
            if (cell.BytesLower > cell.BytesUpper || cell.PacketsLower > cell.PacketsUpper)
                throw reader.Invalid($"matrix cell {i} has a lower bound above its upper bound");
            if (i > 0 && CompareKeys(cells[i - 1], cell) >= 0)
                throw reader.Invalid("matrix cells are not in strictly increasing subnet order");
            bytesSum += cell.BytesLower;
            packetsSum += cell.PacketsLower;
            cells.Add(cell);
        }
        if (bytesSum != matrix.TotalBytes || packetsSum != matrix.TotalPackets)
            throw reader.Invalid("matrix cells and remainder do not add up to the matrix total");
        matrix._cells = cells;
        return matrix;
    }

    private static AddressPrefix Subnet(ref EpochRecordReader reader, ReadOnlySpan<byte> bytes)
    {
        IpAddress128 address = TrafficKey.ReadAddress(bytes);
        var subnet = AddressPrefix.MatrixSubnet(address);
        if (subnet.Network != address)
            throw reader.Invalid($"matrix subnet {address} has host bits set");
        return subnet;
    }
}
