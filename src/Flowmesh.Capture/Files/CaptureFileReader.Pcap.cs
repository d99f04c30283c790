using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Files;

// Classic libpcap format: a 24-byte file header, then records of header + frame.
public sealed partial class CaptureFileReader
{
    private const int PcapFileHeaderLength = 24;
    private LinkType _pcapLinkType;
    private uint _pcapSnapLength;
    private bool _pcapNanoseconds;
    private int _pcapRecordHeaderLength = 16;

    /// <summary>The classic pcap file's link type; null for pcapng (there it is per interface) or a truncated header.</summary>
    public LinkType? PcapLinkType { get; private set; }

    private bool TrySetPcapMagic(uint littleEndianMagic)
    {
        // The writer stored the magic in its own byte order; reading it little-endian tells us which.
        switch (littleEndianMagic)
        {
            case 0xA1B2C3D4: break;
            case 0xD4C3B2A1: _bigEndian = true; break;
            case 0xA1B23C4D: _pcapNanoseconds = true; break;
            case 0x4D3CB2A1: _bigEndian = true; _pcapNanoseconds = true; break;
            // Alexey Kuznetzov's patched libpcap: 8 more bytes per record header (ifindex, protocol, type).
            case 0xA1B2CD34: _pcapRecordHeaderLength = 24; break;
            case 0x34CDB2A1: _bigEndian = true; _pcapRecordHeaderLength = 24; break;
            default: return false;
        }
        return true;
    }

    private void ReadPcapFileHeader()
    {
        if (!Ensure(PcapFileHeaderLength))
        {
            Stop($"truncated pcap file header at byte offset 0: {Available} of {PcapFileHeaderLength} bytes");
            return;
        }
        var header = _buffer.AsSpan(_start, PcapFileHeaderLength);
        _pcapSnapLength = U32(header[16..]);
        // The upper bits of the link-type field carry FCS information, not the type.
        _pcapLinkType = LinkTypes.Normalize(U32(header[20..]) & 0xFFFF);
        PcapLinkType = _pcapLinkType;
        _start += PcapFileHeaderLength;
        Volatile.Write(ref _consumed, Offset);
    }

    private bool TryReadPcapRecord(out CapturedFrame frame)
    {
        frame = default;
        long offset = Offset;
        int headerLength = _pcapRecordHeaderLength;
        if (!Ensure(headerLength))
        {
            if (Available == 0) return Finish();
            return Stop($"truncated record header at byte offset {offset} (frame {NextFrameNumber}): " +
                        $"{Available} of {headerLength} bytes");
        }
        var header = _buffer.AsSpan(_start, headerLength);
        uint seconds = U32(header);
        uint fraction = U32(header[4..]);
        uint capturedLength = U32(header[8..]);
        uint originalLength = U32(header[12..]);
        if (capturedLength > MaxFrameLength)
        {
            return Stop($"absurd captured length {capturedLength} at byte offset {offset} (frame {NextFrameNumber}): " +
                        $"more than the maximum of {MaxFrameLength}");
        }
        if (_pcapSnapLength != 0 && capturedLength > _pcapSnapLength)
        {
            return Stop($"captured length {capturedLength} exceeds the snap length {_pcapSnapLength} " +
                        $"at byte offset {offset} (frame {NextFrameNumber})");
        }
        int recordLength = headerLength + (int)capturedLength;
        if (!Ensure(recordLength))
        {
            return Stop($"truncated record at byte offset {offset} (frame {NextFrameNumber}): " +
                        $"{capturedLength}-byte frame, input ends after {Math.Max(0, Available - headerLength)} of them");
        }
        long micros = seconds * 1_000_000L + (_pcapNanoseconds ? fraction / 1000 : fraction);
        frame = new CapturedFrame(_pcapLinkType, micros, (int)Math.Min(originalLength, int.MaxValue),
            _buffer.AsSpan(_start + headerLength, (int)capturedLength));
        _start += recordLength;
        CountFrame((int)capturedLength);
        return true;
    }
}
