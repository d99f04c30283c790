using System.Buffers.Binary;
using System.Text;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Agent.Drill;

/// <summary>
/// A flow row's host context in bytes: the flow log's <c>context</c> column and, after each row, the drill-down reply's
/// context block (<see cref="FlowQueryCodec"/>). Integers are big-endian; a string is its UTF-8 length (2) and bytes,
/// length 0xFFFF meaning absent.
/// <code>
/// parts (1: bit 0 process, bit 1 tcp, bit 2 dns name, bit 3 drops)
/// process: pid (4) | source (1) | uid (4, 0xFFFFFFFF absent) | name | path | user | unit
/// tcp:     smoothed RTT µs (4) | min µs (4) | max µs (4) | retransmits (8)
/// dns:     name
/// drops:   n (1, ≤ 16) | n × (reason | packets (8))
/// </code>
/// Strings are cut to their caps when written, so a block is at most <see cref="MaxBytes"/>; reading checks every length
/// against the bytes left and refuses unknown bits, negative numbers and invalid UTF-8 with a reason, never throwing.
/// </summary>
internal static class FlowContextCodec
{
    public const int MaxNameBytes = 64, MaxPathBytes = 1024, MaxUserBytes = 64, MaxUnitBytes = 256, MaxDnsBytes = 255, MaxReasonBytes = 64, MaxDrops = 16;
    public const int MaxBytes = 1 + (4 + 1 + 4 + 8 + MaxNameBytes + MaxPathBytes + MaxUserBytes + MaxUnitBytes) + 20 + (2 + MaxDnsBytes) + 1 + MaxDrops * (2 + MaxReasonBytes + 8);
    private const ushort Absent = 0xFFFF;
    /// <summary>2^48: no flow retransmits or drops more; sums over a window's epochs stay far from overflow.</summary>
    private const long MaxCounter = 1L << 48;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The block for <paramref name="context"/>; empty for null.</summary>
    public static byte[] Encode(FlowHostContext? context)
    {
        if (context is null) return [];
        var buffer = new byte[MaxBytes];
        int at = 1;
        byte parts = 0;
        if (context.Process is { } p)
        {
            parts |= 1;
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), p.Pid);
            buffer[at + 4] = (byte)p.Source;
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(at + 5), p.UserId ?? uint.MaxValue);
            at += 9;
            at += WriteString(buffer.AsSpan(at), p.Name, MaxNameBytes);
            at += WriteString(buffer.AsSpan(at), p.Path, MaxPathBytes);
            at += WriteString(buffer.AsSpan(at), p.User, MaxUserBytes);
            at += WriteString(buffer.AsSpan(at), p.Unit, MaxUnitBytes);
        }
        if (context.Tcp is { } tcp)
        {
            parts |= 2;
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), Math.Max(0, tcp.SmoothedRttMicros));
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at + 4), Math.Max(0, tcp.MinRttMicros));
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at + 8), Math.Max(0, tcp.MaxRttMicros));
            BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(at + 12), Math.Max(0, tcp.Retransmits));
            at += 20;
        }
        if (context.DnsName is { } dns)
        {
            parts |= 4;
            at += WriteString(buffer.AsSpan(at), dns, MaxDnsBytes);
        }
        if (context.Drops.Count > 0)
        {
            parts |= 8;
            int n = Math.Min(context.Drops.Count, MaxDrops);
            buffer[at++] = (byte)n;
            for (int i = 0; i < n; i++)
            {
                at += WriteString(buffer.AsSpan(at), context.Drops[i].Reason, MaxReasonBytes);
                BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(at), Math.Max(0, context.Drops[i].Packets));
                at += 8;
            }
        }
        buffer[0] = parts;
        return buffer.AsSpan(0, at).ToArray();
    }

    /// <summary>Reads a whole block (its exact length); an empty block is "no context".</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out FlowHostContext? context, out string? error)
    {
        context = null;
        error = null;
        if (bytes.IsEmpty) return true;
        byte parts = bytes[0];
        if ((parts & ~15) != 0) return Fail($"unknown context parts 0x{parts:x2}", out error);
        int at = 1;
        ProcessIdentity? process = null;
        TcpPathStats? tcp = null;
        string? dns = null;
        var drops = new List<DropReasonCount>();
        if ((parts & 1) != 0)
        {
            if (bytes.Length - at < 9) return Fail("the process part is truncated", out error);
            int pid = BinaryPrimitives.ReadInt32BigEndian(bytes[at..]);
            byte source = bytes[at + 4];
            uint uid = BinaryPrimitives.ReadUInt32BigEndian(bytes[(at + 5)..]);
            at += 9;
            if (pid < 0) return Fail("negative pid", out error);
            if (!Enum.IsDefined((AttributionSource)source)) return Fail($"unknown attribution source {source}", out error);
            if (!ReadString(bytes, ref at, MaxNameBytes, out string? name, out error) || name is null) return Fail(error ?? "the process has no name", out error);
            if (!ReadString(bytes, ref at, MaxPathBytes, out string? path, out error)) return false;
            if (!ReadString(bytes, ref at, MaxUserBytes, out string? user, out error)) return false;
            if (!ReadString(bytes, ref at, MaxUnitBytes, out string? unit, out error)) return false;
            process = new ProcessIdentity(pid, name, (AttributionSource)source)
            {
                Path = path, User = user, Unit = unit, UserId = uid == uint.MaxValue ? null : uid,
            };
        }
        if ((parts & 2) != 0)
        {
            if (bytes.Length - at < 20) return Fail("the TCP part is truncated", out error);
            int srtt = BinaryPrimitives.ReadInt32BigEndian(bytes[at..]), min = BinaryPrimitives.ReadInt32BigEndian(bytes[(at + 4)..]);
            int max = BinaryPrimitives.ReadInt32BigEndian(bytes[(at + 8)..]);
            long retransmits = BinaryPrimitives.ReadInt64BigEndian(bytes[(at + 12)..]);
            at += 20;
            if (srtt < 0 || min < 0 || max < 0 || retransmits is < 0 or > MaxCounter) return Fail("an RTT or retransmit count out of range", out error);
            tcp = new TcpPathStats(srtt, min, max, retransmits);
        }
        if ((parts & 4) != 0 && (!ReadString(bytes, ref at, MaxDnsBytes, out dns, out error) || dns is null)) return Fail(error ?? "the DNS part has no name", out error);
        if ((parts & 8) != 0)
        {
            if (bytes.Length - at < 1) return Fail("the drops part is truncated", out error);
            int n = bytes[at++];
            if (n is 0 or > MaxDrops) return Fail($"{n} drop reasons (1..{MaxDrops})", out error);
            for (int i = 0; i < n; i++)
            {
                if (!ReadString(bytes, ref at, MaxReasonBytes, out string? reason, out error) || reason is null) return Fail(error ?? "a drop without a reason", out error);
                if (bytes.Length - at < 8) return Fail("a drop count is truncated", out error);
                long packets = BinaryPrimitives.ReadInt64BigEndian(bytes[at..]);
                at += 8;
                if (packets is < 0 or > MaxCounter) return Fail("a drop count out of range", out error);
                drops.Add(new DropReasonCount(reason, packets));
            }
        }
        if (at != bytes.Length) return Fail($"{bytes.Length - at} bytes after the context", out error);
        context = new FlowHostContext { Process = process, Tcp = tcp, DnsName = dns, Drops = drops.Count == 0 ? [] : drops };
        return true;
    }

    private static int WriteString(Span<byte> destination, string? text, int maxBytes)
    {
        if (text is null)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, Absent);
            return 2;
        }
        int length = Utf8Prefix(text, maxBytes, destination[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)length);
        return 2 + length;
    }

    /// <summary>The longest prefix of whole characters that fits <paramref name="maxBytes"/>, written; its byte count.</summary>
    private static int Utf8Prefix(string text, int maxBytes, Span<byte> destination)
    {
        var encoder = Encoding.UTF8.GetEncoder();
        encoder.Convert(text, destination[..maxBytes], flush: true, out _, out int written, out _);
        return written;
    }

    private static bool ReadString(ReadOnlySpan<byte> bytes, ref int at, int maxBytes, out string? text, out string? error)
    {
        text = null;
        error = null;
        if (bytes.Length - at < 2) return Fail("a string length is truncated", out error);
        ushort length = BinaryPrimitives.ReadUInt16BigEndian(bytes[at..]);
        at += 2;
        if (length == Absent) return true;
        if (length > maxBytes) return Fail($"a {length}-byte string where at most {maxBytes} fit", out error);
        if (bytes.Length - at < length) return Fail("a string is truncated", out error);
        try
        {
            text = StrictUtf8.GetString(bytes.Slice(at, length));
        }
        catch (DecoderFallbackException)
        {
            return Fail("a string is not UTF-8", out error);
        }
        at += length;
        return true;
    }

    private static bool Fail(string reason, out string? error)
    {
        error = reason;
        return false;
    }
}
