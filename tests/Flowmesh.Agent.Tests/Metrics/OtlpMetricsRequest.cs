using System.Buffers.Binary;
using System.Text;

namespace Flowmesh.Agent.Tests.Metrics;

/// <summary>One data point of an OTLP export: its metric, kind (sum, gauge, histogram), attributes and value or count.</summary>
internal sealed record OtlpPoint(string Scope, string Metric, string Unit, string Kind, bool Monotonic, int Temporality,
    IReadOnlyDictionary<string, string> Attributes, double Value, ulong Count);

/// <summary>
/// An ExportMetricsServiceRequest (opentelemetry-proto, metrics/v1) decoded from its protobuf bytes with a reader of the
/// wire format written here, independent of the SDK that encoded it. Only the fields the tests look at are read;
/// the field numbers are the .proto's.
/// </summary>
internal sealed class OtlpMetricsRequest
{
    public Dictionary<string, string> Resource { get; } = new(StringComparer.Ordinal);

    public List<OtlpPoint> Points { get; } = [];

    public static OtlpMetricsRequest Decode(byte[] body)
    {
        var request = new OtlpMetricsRequest();
        foreach (var resourceMetrics in Messages(body, 1))
        {
            foreach (var resource in Messages(resourceMetrics, 1))
                foreach (var (key, value) in Attributes(resource, 1)) request.Resource[key] = value;
            foreach (var scopeMetrics in Messages(resourceMetrics, 2))
            {
                string scope = Messages(scopeMetrics, 1).Select(s => Text(s, 1)).FirstOrDefault() ?? "";
                foreach (var metric in Messages(scopeMetrics, 2)) request.AddMetric(scope, metric);
            }
        }
        return request;
    }

    private void AddMetric(string scope, byte[] metric)
    {
        string name = Text(metric, 1), unit = Text(metric, 3);
        foreach (var gauge in Messages(metric, 5))
            foreach (var point in Messages(gauge, 1)) Points.Add(NumberPoint(scope, name, unit, "gauge", false, 0, point));
        foreach (var sum in Messages(metric, 7))
        {
            int temporality = (int)Varints(sum, 2).FirstOrDefault();
            bool monotonic = Varints(sum, 3).FirstOrDefault() != 0;
            foreach (var point in Messages(sum, 1)) Points.Add(NumberPoint(scope, name, unit, "sum", monotonic, temporality, point));
        }
        foreach (var histogram in Messages(metric, 9))
        {
            int temporality = (int)Varints(histogram, 2).FirstOrDefault();
            foreach (var point in Messages(histogram, 1))
            {
                ulong count = Fixed64s(point, 4).FirstOrDefault();
                double sum = BitConverter.UInt64BitsToDouble(Fixed64s(point, 5).FirstOrDefault());
                Points.Add(new OtlpPoint(scope, name, unit, "histogram", false, temporality, Attributes(point, 9).ToDictionary(), sum, count));
            }
        }
    }

    // NumberDataPoint: attributes 7, as_double 4 (double), as_int 6 (sfixed64).
    private static OtlpPoint NumberPoint(string scope, string name, string unit, string kind, bool monotonic, int temporality, byte[] point)
    {
        double value = Fixed64s(point, 4).Select(BitConverter.UInt64BitsToDouble)
            .Concat(Fixed64s(point, 6).Select(bits => (double)unchecked((long)bits))).FirstOrDefault();
        return new OtlpPoint(scope, name, unit, kind, monotonic, temporality, Attributes(point, 7).ToDictionary(), value, 0);
    }

    // KeyValue: key 1, value 2 (AnyValue: string_value 1, int_value 3).
    private static IEnumerable<KeyValuePair<string, string>> Attributes(byte[] message, int field) =>
        Messages(message, field).Select(kv => new KeyValuePair<string, string>(Text(kv, 1),
            Messages(kv, 2).Select(v => Fields(v).Any(f => f.Number == 1) ? Text(v, 1) : Varints(v, 3).FirstOrDefault().ToString(System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault() ?? ""));

    private static IEnumerable<byte[]> Messages(byte[] message, int field) =>
        Fields(message).Where(f => f.Number == field && f.Wire == 2).Select(f => f.Bytes!);

    private static string Text(byte[] message, int field) => Messages(message, field).Select(b => Encoding.UTF8.GetString(b)).FirstOrDefault() ?? "";

    private static IEnumerable<ulong> Varints(byte[] message, int field) => Fields(message).Where(f => f.Number == field && f.Wire == 0).Select(f => f.Value);

    private static IEnumerable<ulong> Fixed64s(byte[] message, int field) => Fields(message).Where(f => f.Number == field && f.Wire == 1).Select(f => f.Value);

    /// <summary>The wire format: a varint key (field number, wire type), then a varint, 8 or 4 bytes, or a length and bytes.</summary>
    private static List<(int Number, int Wire, ulong Value, byte[]? Bytes)> Fields(byte[] message)
    {
        var fields = new List<(int, int, ulong, byte[]?)>();
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            int number = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add((number, wire, Varint(message, ref at), null)); break;
                case 1: fields.Add((number, wire, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at, 8)), null)); at += 8; break;
                case 5: fields.Add((number, wire, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at, 4)), null)); at += 4; break;
                case 2:
                    int length = checked((int)Varint(message, ref at));
                    fields.Add((number, wire, 0, message.AsSpan(at, length).ToArray()));
                    at += length;
                    break;
                default: throw new FormatException($"wire type {wire} at byte {at}");
            }
        }
        return fields;
    }

    private static ulong Varint(byte[] message, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = message[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
        throw new FormatException("varint longer than 10 bytes");
    }
}
