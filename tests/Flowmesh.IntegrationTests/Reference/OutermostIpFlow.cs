using Flowmesh.IntegrationTests.Comparison;

namespace Flowmesh.IntegrationTests.Reference;

/// <summary>
/// The flow contract's view of one frame, derived from tshark's dissection alone: the OUTERMOST IP
/// header decides the directed 5-tuple and the byte count.
/// <list type="bullet">
/// <item>Bytes: IPv4 total length; IPv6 payload length + 40.</item>
/// <item>Protocol: IPv4 protocol; for IPv6 the next header after the extension header chain
/// (hop-by-hop, routing, fragment, destination options, AH, mobility, HIP, shim6; at most 8).</item>
/// <item>Ports only for TCP, UDP and SCTP directly after the outer header, only when the frame
/// holds the fields (TCP: up to the flags byte; UDP/SCTP: both ports), and never for a non-first
/// fragment. A TCP header whose data offset is bogus (&lt; 20) still has ports and flags in its
/// first 14 bytes; tshark stops before the flags then, so whether those bytes exist is taken from
/// the IP length of a frame captured whole. Everything else (ICMP, tunnels, ESP, ...) has ports 0.</item>
/// </list>
/// Inner headers (tunnels, the quoted packet in an ICMP error) are listed by tshark after the outer
/// one in every field, so the outer header's values are the first occurrences, and the k-th
/// extension header of one type in the outer chain is that field's k-th occurrence.
/// </summary>
public static class OutermostIpFlow
{
    private const int MaxExtensionHeaders = 8;

    public readonly record struct Observation(DirectedFlowKey Key, long Bytes);

    /// <summary>Null when the frame is no flow packet (no IP, or an IP header tshark itself rejected).</summary>
    /// <exception cref="NotSupportedException">The frame needs a rule the reference does not implement.</exception>
    public static Observation? Derive(TsharkFrame frame)
    {
        foreach (string protocol in frame.Protocols)
        {
            if (protocol == "ip") return FromIpv4(frame);
            if (protocol == "ipv6") return FromIpv6(frame);
        }
        return null;
    }

    private static Observation? FromIpv4(TsharkFrame frame)
    {
        // tshark adds the addresses only after accepting version and header length.
        if (frame.First(TsharkField.Ipv4Source) is not string source || frame.First(TsharkField.Ipv4Destination) is not string destination)
            return null;
        int headerLength = frame.FirstInt(TsharkField.Ipv4HeaderLength) ?? throw Missing(frame, "ip.hdr_len");
        int totalLength = frame.FirstInt(TsharkField.Ipv4TotalLength) ?? throw Missing(frame, "ip.len");
        if (totalLength == 0)
            throw new NotSupportedException($"frame {frame.Number}: IPv4 total length 0 (TSO); the reference cannot count captured bytes");
        if (totalLength < headerLength) return null; // not even its own header: no packet to count
        byte protocol = (byte)(frame.FirstInt(TsharkField.Ipv4Protocol) ?? throw Missing(frame, "ip.proto"));
        bool nonFirstFragment = (frame.FirstInt(TsharkField.Ipv4FragmentOffset) ?? 0) != 0;
        return Observe(frame, protocol, source, destination, nonFirstFragment, totalLength, totalLength - headerLength);
    }

    private static Observation? FromIpv6(TsharkFrame frame)
    {
        if (frame.First(TsharkField.Ipv6Source) is not string source || frame.First(TsharkField.Ipv6Destination) is not string destination)
            return null;
        int payloadLength = frame.FirstInt(TsharkField.Ipv6PayloadLength) ?? throw Missing(frame, "ipv6.plen");
        if (payloadLength == 0)
            throw new NotSupportedException($"frame {frame.Number}: IPv6 payload length 0 (jumbogram or BIG TCP); the reference cannot count those bytes");
        int next = frame.FirstInt(TsharkField.Ipv6NextHeader) ?? throw Missing(frame, "ipv6.nxt");

        var seen = new Dictionary<TsharkField, int>();
        bool nonFirstFragment = false;
        for (int walked = 0; walked < MaxExtensionHeaders; walked++)
        {
            TsharkField? nextField = next switch
            {
                0 => TsharkField.HopByHopNext,
                43 => TsharkField.RoutingNext,
                44 => TsharkField.FragmentNext,
                51 => TsharkField.AuthenticationHeaderNext,
                60 => TsharkField.DestinationOptionsNext,
                135 => TsharkField.MobilityNext,
                139 => TsharkField.HostIdentityNext,
                140 => TsharkField.Shim6Next,
                _ => null,
            };
            if (nextField is not TsharkField field) break;
            int occurrence = seen.GetValueOrDefault(field);
            seen[field] = occurrence + 1;
            // Absent: the header was cut off by the capture; the flow is keyed on the header's own number.
            if (frame.IntAt(field, occurrence) is not int following) break;
            if (field == TsharkField.FragmentNext)
            {
                int offset = frame.IntAt(TsharkField.FragmentOffset, seen[field] - 1) ?? throw Missing(frame, "ipv6.fraghdr.offset");
                if (offset != 0)
                {
                    next = following;
                    nonFirstFragment = true;
                    break;
                }
            }
            next = following;
        }
        int? transportLength = seen.Count == 0 ? payloadLength : null; // extension header lengths are not among the fields
        return Observe(frame, (byte)next, source, destination, nonFirstFragment, payloadLength + 40L, transportLength);
    }

    /// <param name="transportLength">Bytes after the outer IP header (and its extension headers) by the IP header's own account; null when unknown.</param>
    private static Observation Observe(TsharkFrame frame, byte protocol, string source, string destination, bool nonFirstFragment, long bytes, int? transportLength)
    {
        ushort sourcePort = 0, destinationPort = 0;
        if (!nonFirstFragment && PortFields(protocol) is var (sourceField, destinationField, requiredField))
        {
            // The first occurrence belongs to the outer transport header: an inner one (GTP, VXLAN)
            // can only exist when the outer header was dissected whole.
            if (frame.FirstInt(sourceField) is int sp && frame.FirstInt(destinationField) is int dp
                && (frame.First(requiredField) is not null || (protocol == 6 && HasFlagsDespiteBogusHeaderLength(frame, transportLength))))
            {
                sourcePort = (ushort)sp;
                destinationPort = (ushort)dp;
            }
        }
        return new Observation(DirectedFlowKey.Create(protocol, source, sourcePort, destination, destinationPort), bytes);
    }

    private const int TcpMinimumHeader = 20;
    private const int TcpBytesUpToFlags = 14;

    private static bool HasFlagsDespiteBogusHeaderLength(TsharkFrame frame, int? transportLength)
    {
        if (frame.FirstInt(TsharkField.TcpHeaderLength) is not int headerLength || headerLength >= TcpMinimumHeader) return false;
        bool capturedWhole = frame.FirstInt(TsharkField.FrameLength) == frame.FirstInt(TsharkField.FrameCapturedLength);
        if (!capturedWhole || transportLength is null)
            throw new NotSupportedException($"frame {frame.Number}: bogus TCP header length in a cut frame or behind IPv6 extension headers; the reference cannot tell whether the flags byte was captured");
        return transportLength >= TcpBytesUpToFlags;
    }

    /// <summary>Port fields per protocol, and the field that must be present for the ports to count (TCP: the flags byte).</summary>
    private static (TsharkField Source, TsharkField Destination, TsharkField Required)? PortFields(byte protocol) => protocol switch
    {
        6 => (TsharkField.TcpSourcePort, TsharkField.TcpDestinationPort, TsharkField.TcpFlags),
        17 => (TsharkField.UdpSourcePort, TsharkField.UdpDestinationPort, TsharkField.UdpDestinationPort),
        132 => (TsharkField.SctpSourcePort, TsharkField.SctpDestinationPort, TsharkField.SctpDestinationPort),
        _ => null,
    };

    private static FormatException Missing(TsharkFrame frame, string field) => new($"frame {frame.Number}: tshark gave no {field}");
}
