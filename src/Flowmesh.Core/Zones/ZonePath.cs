using System.IO.Hashing;
using System.Text;

namespace Flowmesh.Core.Zones;

/// <summary>
/// Where a node sits in the zone tree (docs/zones.md): segments from the root down, written <c>site-a/floor-3/4/7</c>.
/// An operator label (zero or more segments) comes first; hash digits of the node's name fill the path up to a fixed
/// depth, so zone sizes balance without configuration and the tree's shape never depends on how many nodes there are.
/// </summary>
/// <remarks>
/// A segment is 1..<see cref="MaxSegmentLength"/> characters of <c>a-z 0-9 - _ .</c>: paths appear in CLI output,
/// URLs and metric labels, so nothing needs escaping anywhere. The whole path is at most <see cref="MaxBytes"/> bytes
/// and <see cref="MaxDepth"/> segments. The root (the whole network) has no segments.
/// </remarks>
public sealed class ZonePath : IEquatable<ZonePath>, IComparable<ZonePath>
{
    public const int MaxDepth = 8;
    public const int MaxSegmentLength = 32;
    public const int MaxBytes = 63;

    /// <summary>The agent's default: paths of 5 segments (label included) of base-10 digits, room for 10^5 leaf zones (docs/zones.md).</summary>
    public const int DefaultDepth = 5;
    public const int DefaultBranching = 10;

    private readonly string[] _segments;

    private ZonePath(string[] segments, string text)
    {
        _segments = segments;
        Text = text;
    }

    /// <summary>The whole network.</summary>
    public static ZonePath Root { get; } = new([], "");

    /// <summary>The canonical text: segments joined by '/', empty for the root.</summary>
    public string Text { get; }

    public int Depth => _segments.Length;
    public IReadOnlyList<string> Segments => _segments;
    public bool IsRoot => _segments.Length == 0;

    /// <summary>The zone one level up; the root's parent is the root.</summary>
    public ZonePath Parent => IsRoot ? this : Prefix(_segments.Length - 1);

    /// <summary>The zone of the first <paramref name="depth"/> segments.</summary>
    public ZonePath Prefix(int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, Depth);
        if (depth == Depth) return this;
        if (depth == 0) return Root;
        return new ZonePath(_segments[..depth], string.Join('/', _segments, 0, depth));
    }

    /// <summary>True when this zone is <paramref name="other"/> or one of its ancestors.</summary>
    public bool Contains(ZonePath other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Depth < Depth) return false;
        for (int i = 0; i < _segments.Length; i++)
            if (!string.Equals(_segments[i], other._segments[i], StringComparison.Ordinal)) return false;
        return true;
    }

    public ZonePath Child(string segment)
    {
        if (!IsValidSegment(segment)) throw new ArgumentException($"'{segment}' is not a zone segment (1..{MaxSegmentLength} of a-z 0-9 - _ .).", nameof(segment));
        return Create([.. _segments, segment]);
    }

    /// <summary>Parses <c>a/b/c</c>; the empty string is the root. Throws <see cref="FormatException"/> with the reason.</summary>
    public static ZonePath Parse(string text)
    {
        if (TryParse(text, out var path, out string? error)) return path;
        throw new FormatException(error);
    }

    public static bool TryParse(string? text, out ZonePath path, out string? error)
    {
        path = Root;
        error = null;
        if (text is null)
        {
            error = "A zone path is required.";
            return false;
        }
        if (text.Length == 0) return true;
        if (text.Length > MaxBytes)
        {
            error = $"A zone path is at most {MaxBytes} characters, got {text.Length}.";
            return false;
        }
        string[] segments = text.Split('/');
        if (segments.Length > MaxDepth)
        {
            error = $"A zone path has at most {MaxDepth} segments, got {segments.Length}.";
            return false;
        }
        foreach (string segment in segments)
        {
            if (!IsValidSegment(segment))
            {
                error = $"Zone segment '{Printable(segment)}' is not 1..{MaxSegmentLength} characters of a-z 0-9 - _ . (in '{Printable(text)}').";
                return false;
            }
        }
        path = new ZonePath(segments, text);
        return true;
    }

    public static bool IsValidSegment(string? segment)
    {
        if (string.IsNullOrEmpty(segment) || segment.Length > MaxSegmentLength) return false;
        foreach (char c in segment)
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.')) return false;
        return true;
    }

    /// <summary>
    /// A node's default path: <paramref name="label"/>'s segments, then base-<paramref name="branching"/> digits of a
    /// 64-bit hash of the node's name (seeded by <paramref name="seed"/>, the cluster's) until the path has
    /// <paramref name="depth"/> segments. A label already as deep as <paramref name="depth"/> is the whole path.
    /// </summary>
    public static ZonePath ForNode(ZonePath label, string nodeName, int depth, int branching, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(nodeName);
        ArgumentOutOfRangeException.ThrowIfLessThan(branching, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(branching, 36);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, MaxDepth);
        if (label.Depth >= depth) return label;
        Span<byte> name = stackalloc byte[Encoding.UTF8.GetMaxByteCount(nodeName.Length)];
        int n = Encoding.UTF8.GetBytes(nodeName, name);
        ulong hash = XxHash3.HashToUInt64(name[..n], unchecked((long)seed));
        // Successive base-b digits of one uniform hash (36^8 < 2^64, so they never run out): nodes that share a zone
        // at one level spread evenly over its children at the next.
        string[] segments = [.. label._segments, .. new string[depth - label.Depth]];
        for (int i = label.Depth; i < depth; i++)
        {
            segments[i] = Digit((int)(hash % (ulong)branching));
            hash /= (ulong)branching;
        }
        return Create(segments);
    }

    private static string Digit(int value) => value < 10 ? ((char)('0' + value)).ToString() : ((char)('a' + value - 10)).ToString();

    private static ZonePath Create(string[] segments)
    {
        string text = string.Join('/', segments);
        if (segments.Length > MaxDepth || text.Length > MaxBytes)
            throw new ArgumentException($"The zone path '{text}' is longer than {MaxDepth} segments or {MaxBytes} characters.");
        return new ZonePath(segments, text);
    }

    private static string Printable(string s)
    {
        var builder = new StringBuilder(Math.Min(s.Length, 80));
        foreach (char c in s.Length > 80 ? s[..80] : s) builder.Append(char.IsControl(c) ? '?' : c);
        return builder.ToString();
    }

    public bool Equals(ZonePath? other) => other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);
    public override bool Equals(object? obj) => Equals(obj as ZonePath);
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);
    public int CompareTo(ZonePath? other) => other is null ? 1 : string.CompareOrdinal(Text, other.Text);
    public override string ToString() => IsRoot ? "(root)" : Text;
}
