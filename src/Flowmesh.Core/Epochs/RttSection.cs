using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Extension 8, "RTT" (docs/epoch-records.md): TCP round-trip times the origin's kernel measured, as quantile sketches
/// (<see cref="QuantileSketch"/>, µs) per remote subnet (/24, /64 as in the matrix): one sample per TCP flow delta with
/// an RTT, its smoothed RTT. At most <see cref="MaxSubnets"/> subnets are listed, those with the most samples; the rest
/// are merged into one "other subnets" sketch, so every sample is in the record.
/// </summary>
internal sealed class RttSection
{
    public const int MaxSubnets = 16;
    /// <summary>Subnets tracked while an epoch is open; samples of later new subnets go to <see cref="Other"/>.</summary>
    public const int WorkingSubnets = 1024;

    public SortedDictionary<AddressPrefix, QuantileSketch> BySubnet { get; } = new(Comparer<AddressPrefix>.Create(CompareSubnets));
    public QuantileSketch Other { get; private set; } = new();

    private static int CompareSubnets(AddressPrefix a, AddressPrefix b) => a.Network.CompareTo(b.Network);

    public bool IsEmpty => BySubnet.Count == 0 && Other.Count == 0;

    public void Add(IpAddress128 remote, ulong rttMicros)
    {
        var subnet = AddressPrefix.MatrixSubnet(remote);
        if (BySubnet.TryGetValue(subnet, out var sketch)) sketch.Add(rttMicros);
        else if (BySubnet.Count < WorkingSubnets) (BySubnet[subnet] = new QuantileSketch()).Add(rttMicros);
        else Other.Add(rttMicros);
    }

    /// <summary>Keeps the <see cref="MaxSubnets"/> subnets with the most samples (ties: lower subnet) and folds the rest into <see cref="Other"/>.</summary>
    public void Prune()
    {
        if (BySubnet.Count <= MaxSubnets) return;
        foreach (var subnet in BySubnet.OrderByDescending(s => s.Value.Count).ThenBy(s => s.Key, BySubnet.Comparer).Skip(MaxSubnets).Select(s => s.Key).ToList())
        {
            Other.Merge(BySubnet[subnet]);
            BySubnet.Remove(subnet);
        }
    }

    public void MergeFrom(RttSection other)
    {
        foreach (var (subnet, sketch) in other.BySubnet)
        {
            if (!BySubnet.TryGetValue(subnet, out var mine)) BySubnet[subnet] = mine = new QuantileSketch();
            mine.Merge(sketch);
        }
        Other.Merge(other.Other);
        Prune();
    }

    /// <summary>Everything the record holds, all subnets together.</summary>
    public QuantileSketch All()
    {
        var all = new QuantileSketch();
        foreach (var sketch in BySubnet.Values) all.Merge(sketch);
        all.Merge(Other);
        return all;
    }

    /// <summary>Layout: u8 n ≤ 16 × (16 B subnet, IPv4-mapped, host bits zero, increasing; u16 n + sketch), then u16 n + the "other subnets" sketch.</summary>
    public void Write(EpochRecordWriter w)
    {
        w.WriteByte((byte)BySubnet.Count);
        Span<byte> address = stackalloc byte[16];
        foreach (var (subnet, sketch) in BySubnet)
        {
            TrafficKey.WriteAddress(address, subnet.Network);
            w.WriteBytes(address);
            WriteSketch(w, sketch);
        }
        WriteSketch(w, Other);
    }

    private static void WriteSketch(EpochRecordWriter w, QuantileSketch sketch)
    {
        byte[] bytes = sketch.Serialize();
        w.WriteUInt16((ushort)bytes.Length);
        w.WriteBytes(bytes);
    }

    public static RttSection Read(ref EpochRecordReader r)
    {
        var section = new RttSection();
        int n = r.ReadByte();
        if (n > MaxSubnets) throw r.Invalid($"{n} RTT subnets, more than {MaxSubnets}");
        try
        {
            for (int i = 0; i < n; i++)
            {
                var address = TrafficKey.ReadAddress(r.ReadBytes(16));
                var subnet = AddressPrefix.MatrixSubnet(address);
                if (subnet.Network != address) throw r.Invalid($"RTT subnet {address} has host bits set");
                if (i > 0 && CompareSubnets(subnet, section.BySubnet.Keys.Last()) <= 0) throw r.Invalid("RTT subnets are not in increasing order");
                var sketch = ReadSketch(ref r);
                if (sketch.Count == 0) throw r.Invalid("an RTT subnet without samples");
                section.BySubnet[subnet] = sketch;
            }
            section.Other = ReadSketch(ref r);
        }
        catch (SketchFormatException e)
        {
            throw r.Invalid($"extension RTT: {e.Message.TrimEnd('.')}");
        }
        if (section.IsEmpty) throw r.Invalid("an empty RTT extension");
        return section;
    }

    private static QuantileSketch ReadSketch(ref EpochRecordReader r)
    {
        int length = r.ReadUInt16();
        r.Require(length, "an RTT sketch");
        var sketch = QuantileSketch.Deserialize(r.ReadBytes(length), out int consumed);
        if (consumed != length) throw r.Invalid("unexpected bytes after an RTT sketch");
        return sketch;
    }
}
