using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>Mirror of <c>struct flowmesh_direction</c>: what one direction of a flow sent since the last drain.</summary>
[StructLayout(LayoutKind.Explicit, Size = 48)]
public struct KernelDirectionCounters
{
    /// <summary>Bit the kernel ORs into the flags word when this direction sent a SYN without ACK.</summary>
    internal const uint SynWithoutAckBit = 0x100;

    [FieldOffset(0)] private ulong _packets;
    [FieldOffset(8)] private ulong _bytes;
    [FieldOffset(16)] private ulong _segments;
    [FieldOffset(24)] private ulong _firstNanoseconds;
    [FieldOffset(32)] private ulong _lastNanoseconds;
    [FieldOffset(40)] private uint _tcpFlags;
    [FieldOffset(44)] private byte _icmpType;
    [FieldOffset(45)] private byte _icmpCode;
    [FieldOffset(46)] private ushort _pad;

    /// <summary>Packets as the TC hook saw them: a GSO/GRO super-packet is one.</summary>
    public readonly long Packets => (long)_packets;
    /// <summary>Sum of IP total lengths (IPv6: payload length + 40), as the libpcap path counts.</summary>
    public readonly long Bytes => (long)_bytes;
    /// <summary>Wire packets: a super-packet counts its GSO segments.</summary>
    public readonly long Segments => (long)_segments;
    /// <summary>Kernel CLOCK_MONOTONIC nanoseconds; convert with <see cref="KernelClock"/>. 0 when <see cref="Packets"/> is 0.</summary>
    public readonly ulong FirstNanoseconds => _firstNanoseconds;
    public readonly ulong LastNanoseconds => _lastNanoseconds;
    /// <summary>OR of the TCP flags bytes (CWR..FIN) of this direction.</summary>
    public readonly byte TcpFlags => (byte)_tcpFlags;
    /// <summary>This direction sent a SYN without ACK: it opened the connection.</summary>
    public readonly bool SentSynWithoutAck => (_tcpFlags & SynWithoutAckBit) != 0;
    /// <summary>ICMP/ICMPv6 type and code of this direction's first packet.</summary>
    public readonly byte IcmpType => _icmpType;
    public readonly byte IcmpCode => _icmpCode;
}
