using System.Globalization;
using System.Net;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Feeds one packet list (tab-separated: source address, destination address, flow key, bytes; written by
/// bench/evaluation/accuracy_truth.py from tshark's fields) into the production sketches at several sizes and prints
/// what each size answers, as CSV on stdout. The exact truth is computed by that Python script, not here, so the error
/// is judged against something this code did not produce.
/// </summary>
public static class SketchAccuracySweep
{
    private static readonly int[] TopKCapacities = [4, 8, 16, 32, 64, 128, 256, 1024];
    private static readonly int[] HllPrecisions = [4, 6, 8, 10, 12, 14];
    private static readonly int[] SpreadWidths = [2, 4, 8, 16, 32, 64];

    public static int Run(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: Flowmesh.Benchmarks sketch-accuracy PACKETS.tsv");
            return 2;
        }
        var packets = Read(args[0]);
        // A fixed key: the sweep must give the same numbers on every run (fixed seed rule).
        var hashKey = new SketchHashKey(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray());
        var output = Console.Out;
        output.WriteLine("sketch,parameter,sketch_bytes,key,lower,upper");

        var distinctSources = packets.Select(p => p.Source).Distinct(new ByteArrayComparer()).ToList();
        foreach (int capacity in TopKCapacities)
        {
            var summary = new SpaceSavingSummary(hashKey, capacity, 16);
            foreach (var packet in packets)
                summary.Add(packet.Source, packet.Bytes);
            foreach (var source in distinctSources)
            {
                var (lower, upper) = summary.Bounds(source);
                output.WriteLine(Line("topk_bytes", capacity, summary.SerializedSize, source, lower, upper));
            }
        }
        foreach (int precision in HllPrecisions)
        {
            var sources = new HyperLogLog(hashKey, precision);
            var flows = new HyperLogLog(hashKey, precision);
            foreach (var packet in packets)
            {
                sources.Add(packet.Source);
                flows.Add(packet.Flow);
            }
            output.WriteLine(Line("distinct_sources", precision, sources.SerializedSize, null, sources.Estimate(), sources.Estimate()));
            output.WriteLine(Line("distinct_flows", precision, flows.SerializedSize, null, flows.Estimate(), flows.Estimate()));
        }
        foreach (int width in SpreadWidths)
        {
            var spread = new SpreadSketch(hashKey, 16, depth: 3, width: width, registersPerBucket: 64);
            foreach (var packet in packets)
                spread.Add(packet.Source, packet.Destination);
            foreach (var source in distinctSources)
            {
                double estimate = spread.Estimate(source);
                output.WriteLine(Line("spread_fanout", width, spread.SerializedSize, source, estimate, spread.UpperEstimate(source)));
            }
        }
        return 0;
    }

    private static string Line(string sketch, int parameter, int size, byte[]? key, double lower, double upper) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{sketch},{parameter},{size},{(key is null ? "" : Text(key))},{lower:0.###},{upper:0.###}");

    // IPv4 sources are kept as mapped IPv6 (one key length) but printed as IPv4, as the truth script prints them.
    private static string Text(byte[] key)
    {
        var address = new IPAddress(key);
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    private static List<PacketKeys> Read(string path)
    {
        var packets = new List<PacketKeys>();
        foreach (string line in File.ReadLines(path))
        {
            string[] fields = line.Split('\t');
            if (fields.Length != 4 || !IPAddress.TryParse(fields[0], out var source) || !IPAddress.TryParse(fields[1], out var destination)
                || !ulong.TryParse(fields[3], CultureInfo.InvariantCulture, out ulong bytes))
                continue;
            packets.Add(new PacketKeys(source.MapToIPv6().GetAddressBytes(), destination.MapToIPv6().GetAddressBytes(),
                System.Text.Encoding.UTF8.GetBytes(fields[2]), bytes));
        }
        return packets;
    }

    private sealed record PacketKeys(byte[] Source, byte[] Destination, byte[] Flow, ulong Bytes);

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => HashCode.Combine(BitConverter.ToInt64(obj, 0), BitConverter.ToInt64(obj, 8));
    }
}
