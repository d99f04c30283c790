using System.Globalization;

namespace Flowmesh.IntegrationTests.Reference;

/// <summary>One line of tshark's "-T fields" output: every occurrence of every <see cref="TsharkField"/>.</summary>
public sealed class TsharkFrame
{
    private readonly string[][] _values;

    private TsharkFrame(string[][] values)
    {
        _values = values;
    }

    public long Number => long.Parse(First(TsharkField.FrameNumber)!, CultureInfo.InvariantCulture);

    /// <summary>Capture time in whole microseconds (nanosecond captures are cut, as flowmesh keeps microseconds).</summary>
    public long TimestampMicros
    {
        get
        {
            string text = First(TsharkField.FrameTimeEpoch)!;
            decimal seconds = decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            return (long)decimal.Floor(seconds * 1_000_000m);
        }
    }

    /// <summary>frame.protocols split at ':', e.g. eth, ethertype, ip, udp, gtp, ip, tcp.</summary>
    public IReadOnlyList<string> Protocols => First(TsharkField.FrameProtocols)?.Split(':') ?? [];

    public static TsharkFrame Parse(string line)
    {
        string[] columns = line.Split('\t');
        if (columns.Length != TsharkFields.Count)
            throw new FormatException($"tshark line has {columns.Length} columns, expected {TsharkFields.Count}: '{line}'");
        var values = columns.Select(c => c.Length == 0 ? Array.Empty<string>() : c.Split(',')).ToArray();
        return new TsharkFrame(values);
    }

    /// <summary>All occurrences, outermost first.</summary>
    public IReadOnlyList<string> All(TsharkField field) => _values[(int)field];

    public string? First(TsharkField field) => At(field, 0);

    public string? At(TsharkField field, int occurrence)
    {
        var all = _values[(int)field];
        return occurrence < all.Length ? all[occurrence] : null;
    }

    public int? IntAt(TsharkField field, int occurrence) => At(field, occurrence) is string s ? ParseNumber(s) : null;

    public int? FirstInt(TsharkField field) => IntAt(field, 0);

    /// <summary>tshark prints most numbers in decimal, but some (tcp.flags) in hex with a 0x prefix.</summary>
    private static int ParseNumber(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : int.Parse(text, CultureInfo.InvariantCulture);
}
