using System.Buffers.Binary;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Files;

// pcapng: a sequence of sections (each starts with a Section Header Block that fixes the byte
// order), each with its own interfaces; packets refer to an interface by index.
public sealed partial class CaptureFileReader
{
    private const int MinBlockLength = 12;
    private const byte OptionTimestampResolution = 9;
    private const byte OptionTimestampOffset = 14;
    private readonly List<PcapNgInterface> _interfaces = [];
    private long _lastTimestampMicros;

    private bool TryReadPcapNgBlock(out CapturedFrame frame)
    {
        frame = default;
        while (true)
        {
            long offset = Offset;
            if (!Ensure(MinBlockLength))
            {
                if (Available == 0) return Finish();
                return Stop($"truncated block header at byte offset {offset} (frame {NextFrameNumber}): " +
                            $"{Available} of {MinBlockLength} bytes");
            }
            var head = _buffer.AsSpan(_start, MinBlockLength);
            uint type = U32(head);
            if (type == PcapNgBlockType.SectionHeader)
            {
                uint byteOrder = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
                if (byteOrder == PcapNgBlockType.ByteOrderMagic) _bigEndian = false;
                else if (byteOrder == BinaryPrimitives.ReverseEndianness(PcapNgBlockType.ByteOrderMagic)) _bigEndian = true;
                else return Stop($"bad byte-order magic 0x{byteOrder:X8} in section header at byte offset {offset}");
            }
            uint length = U32(head[4..]);
            if (length < MinBlockLength || length % 4 != 0)
            {
                return Stop($"bad block length {length} at byte offset {offset} (frame {NextFrameNumber}): " +
                            "must be a multiple of 4 and at least 12");
            }
            if (!IsBufferedBlock(type))
            {
                if (!Skip(length))
                {
                    return Stop($"truncated block (type 0x{type:X8}, {length} bytes) at byte offset {offset} " +
                                $"(frame {NextFrameNumber}): input ends inside it");
                }
                continue;
            }
            if (length > MaxBufferedBlockLength)
            {
                return Stop($"absurd block length {length} at byte offset {offset} (frame {NextFrameNumber}): " +
                            $"more than the maximum of {MaxBufferedBlockLength}");
            }
            if (!Ensure((int)length))
            {
                return Stop($"truncated block (type 0x{type:X8}, {length} bytes) at byte offset {offset} " +
                            $"(frame {NextFrameNumber}): input ends after {Available}");
            }
            var block = _buffer.AsSpan(_start, (int)length);
            uint trailer = U32(block[^4..]);
            if (trailer != length)
            {
                return Stop($"block at byte offset {offset} (frame {NextFrameNumber}) says {length} bytes " +
                            $"at its start and {trailer} at its end");
            }
            bool isFrame;
            string? damage = type switch
            {
                PcapNgBlockType.SectionHeader => ReadSectionHeader(block, out isFrame),
                PcapNgBlockType.InterfaceDescription => ReadInterfaceDescription(block, out isFrame),
                PcapNgBlockType.EnhancedPacket => ReadPacket(block, offset, 28, U32(block[8..]), timestampAt: 12,
                    capturedLengthAt: 20, originalLengthAt: 24, out frame, out isFrame),
                PcapNgBlockType.ObsoletePacket => ReadPacket(block, offset, 28, U16(block[8..]), timestampAt: 12,
                    capturedLengthAt: 20, originalLengthAt: 24, out frame, out isFrame),
                _ => ReadSimplePacket(block, offset, out frame, out isFrame),
            };
            if (damage is not null) return Stop(damage);
            _start += (int)length;
            if (isFrame)
            {
                CountFrame(frame.Data.Length);
                return true;
            }
        }
    }

    private static bool IsBufferedBlock(uint type) => type is PcapNgBlockType.SectionHeader
        or PcapNgBlockType.InterfaceDescription or PcapNgBlockType.EnhancedPacket
        or PcapNgBlockType.SimplePacket or PcapNgBlockType.ObsoletePacket;

    private string? ReadSectionHeader(ReadOnlySpan<byte> block, out bool isFrame)
    {
        isFrame = false;
        long offset = Offset;
        if (block.Length < 28) return $"section header at byte offset {offset} is {block.Length} bytes, less than 28";
        ushort major = U16(block[12..]);
        if (major != 1) return $"section header at byte offset {offset} has pcapng version {major}, only 1 is known";
        _interfaces.Clear();
        return null;
    }

    private string? ReadInterfaceDescription(ReadOnlySpan<byte> block, out bool isFrame)
    {
        isFrame = false;
        long offset = Offset;
        if (block.Length < 20) return $"interface description at byte offset {offset} is {block.Length} bytes, less than 20";
        var linkType = LinkTypes.Normalize(U16(block[8..]));
        uint snapLength = U32(block[12..]);
        byte resolution = 6;
        long offsetSeconds = 0;
        var options = block[16..^4];
        while (options.Length >= 4)
        {
            ushort code = U16(options);
            int valueLength = U16(options[2..]);
            options = options[4..];
            // A malformed option list loses only the options, as in Wireshark; the interface stays usable.
            if (code == 0 || valueLength > options.Length) break;
            if (code == OptionTimestampResolution && valueLength >= 1) resolution = options[0];
            if (code == OptionTimestampOffset && valueLength >= 8) offsetSeconds = (long)U64(options);
            options = options[Math.Min(options.Length, (valueLength + 3) & ~3)..];
        }
        if (!TimestampScale.TryFromPcapNgResolution(resolution, out var scale))
        {
            return $"interface description at byte offset {offset} has an unusable timestamp resolution 0x{resolution:X2}";
        }
        if (offsetSeconds < -Core.UnixMicros.MaxRepresentable / 1_000_000 || offsetSeconds > Core.UnixMicros.MaxRepresentable / 1_000_000)
        {
            return $"interface description at byte offset {offset} has a timestamp offset of {offsetSeconds} s, more than a 64-bit microsecond clock holds";
        }
        _interfaces.Add(new PcapNgInterface(linkType, snapLength, scale, offsetSeconds * 1_000_000));
        return null;
    }

    private string? ReadPacket(ReadOnlySpan<byte> block, long offset, int dataAt, uint interfaceId, int timestampAt,
        int capturedLengthAt, int originalLengthAt, out CapturedFrame frame, out bool isFrame)
    {
        frame = default;
        isFrame = false;
        if (block.Length < dataAt + 4) return $"packet block at byte offset {offset} (frame {NextFrameNumber}) is {block.Length} bytes, too short";
        if (interfaceId >= _interfaces.Count)
        {
            return $"packet block at byte offset {offset} (frame {NextFrameNumber}) refers to interface {interfaceId}, " +
                   $"but the section describes {_interfaces.Count}";
        }
        var link = _interfaces[(int)interfaceId];
        uint capturedLength = U32(block[capturedLengthAt..]);
        uint originalLength = U32(block[originalLengthAt..]);
        if (capturedLength > MaxFrameLength)
        {
            return $"absurd captured length {capturedLength} at byte offset {offset} (frame {NextFrameNumber}): " +
                   $"more than the maximum of {MaxFrameLength}";
        }
        if (capturedLength > block.Length - dataAt - 4)
        {
            return $"captured length {capturedLength} at byte offset {offset} (frame {NextFrameNumber}) " +
                   $"does not fit in its {block.Length}-byte block";
        }
        if (link.SnapLength != 0 && capturedLength > link.SnapLength)
        {
            return $"captured length {capturedLength} exceeds the snap length {link.SnapLength} " +
                   $"at byte offset {offset} (frame {NextFrameNumber})";
        }
        ulong units = ((ulong)U32(block[timestampAt..]) << 32) | U32(block[(timestampAt + 4)..]);
        // Unrepresentable times would overflow every later step (epoch alignment, formatting): damage, like a bad length.
        if (!link.Scale.TryToMicros(units, out long micros) || !Core.UnixMicros.IsRepresentable(micros + link.OffsetMicros))
        {
            return $"timestamp of frame {NextFrameNumber} at byte offset {offset} is before 1970 or beyond what a 64-bit microsecond clock holds";
        }
        micros += link.OffsetMicros;
        _lastTimestampMicros = micros;
        frame = new CapturedFrame(link.LinkType, micros, (int)Math.Min(originalLength, int.MaxValue),
            block.Slice(dataAt, (int)capturedLength));
        isFrame = true;
        return null;
    }

    private string? ReadSimplePacket(ReadOnlySpan<byte> block, long offset, out CapturedFrame frame, out bool isFrame)
    {
        frame = default;
        isFrame = false;
        if (_interfaces.Count == 0)
        {
            return $"simple packet block at byte offset {offset} (frame {NextFrameNumber}) before any interface description";
        }
        if (block.Length < 16) return $"simple packet block at byte offset {offset} (frame {NextFrameNumber}) is {block.Length} bytes, less than 16";
        var link = _interfaces[0];
        uint originalLength = U32(block[8..]);
        // The block has no captured length: it is the original length cut to the snap length,
        // and never more than the block holds (its padding is at most 3 bytes).
        uint capturedLength = originalLength;
        if (link.SnapLength != 0) capturedLength = Math.Min(capturedLength, link.SnapLength);
        capturedLength = Math.Min(capturedLength, (uint)(block.Length - 16));
        if (capturedLength > MaxFrameLength)
        {
            return $"absurd captured length {capturedLength} at byte offset {offset} (frame {NextFrameNumber}): " +
                   $"more than the maximum of {MaxFrameLength}";
        }
        // No timestamp in this block type: reuse the previous one so flow clocks don't jump back to 1970.
        frame = new CapturedFrame(link.LinkType, _lastTimestampMicros, (int)Math.Min(originalLength, int.MaxValue),
            block.Slice(12, (int)capturedLength));
        isFrame = true;
        return null;
    }
}
