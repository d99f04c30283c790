using System.Buffers.Binary;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Files;

/// <summary>
/// Streams frames out of a pcap or pcapng file (or standard input) through one reusable buffer, so
/// memory does not grow with the file and no frame allocates. Damage never throws out of
/// <see cref="TryReadNext"/>: everything readable before it is returned, then reading stops and
/// <see cref="CaptureStatistics.StoppedEarly"/> says what was wrong, at which byte offset and frame.
/// Only a file that is not a capture at all (wrong magic, empty) fails, at open.
/// </summary>
public sealed partial class CaptureFileReader : IDisposable
{
    /// <summary>Largest frame accepted: Wireshark's maximum snap length. Anything longer is damage.</summary>
    public const int MaxFrameLength = 262_144;

    // A pcapng block that we must hold whole (headers, packets): a maximal frame plus room for options.
    // Larger blocks of types we skip are streamed past, never buffered.
    internal const int MaxBufferedBlockLength = MaxFrameLength + 65_536;
    private const int InitialBufferLength = 128 * 1024;
    private const int MaxBufferLength = 512 * 1024;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly long? _bytesTotal;
    private byte[] _buffer = new byte[InitialBufferLength];
    private int _start;          // first unconsumed byte in _buffer
    private int _end;            // one past the last valid byte in _buffer
    private long _bufferOffset;  // file offset of _buffer[0]
    private bool _endOfStream;
    private bool _finished;
    private bool _bigEndian;

    private long _frames;
    private long _capturedBytes;
    private long _consumed;
    private string? _stoppedEarly;

    public CaptureFileReader(Stream stream, string name, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _ownsStream = !leaveOpen;
        Name = name;
        _bytesTotal = stream.CanSeek ? stream.Length - stream.Position : null;
        try
        {
            Format = DetectFormat();
            if (Format == CaptureFileFormat.Pcap) ReadPcapFileHeader();
        }
        catch
        {
            if (_ownsStream) _stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens a file, or standard input when <paramref name="path"/> is "-".</summary>
    public static CaptureFileReader Open(string path)
    {
        if (path == "-") return new CaptureFileReader(Console.OpenStandardInput(), "standard input");
        // bufferSize 1 turns FileStream's own buffer off: we buffer ourselves.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            bufferSize: 1, FileOptions.SequentialScan);
        return new CaptureFileReader(stream, path);
    }

    public string Name { get; }
    public CaptureFileFormat Format { get; }

    /// <summary>A snapshot; safe to call from another thread while reading.</summary>
    public CaptureStatistics Statistics => new()
    {
        Frames = Volatile.Read(ref _frames),
        CapturedBytes = Volatile.Read(ref _capturedBytes),
        BytesConsumed = Volatile.Read(ref _consumed),
        BytesTotal = _bytesTotal,
        StoppedEarly = Volatile.Read(ref _stoppedEarly),
    };

    /// <summary>
    /// The next frame, valid until the next call. False at the end of the input or after damage
    /// (then <see cref="CaptureStatistics.StoppedEarly"/> is set). Never throws for bad content.
    /// </summary>
    public bool TryReadNext(out CapturedFrame frame)
    {
        frame = default;
        if (_finished) return false;
        try
        {
            return Format == CaptureFileFormat.Pcap ? TryReadPcapRecord(out frame) : TryReadPcapNgBlock(out frame);
        }
        catch (IOException e)
        {
            return Stop($"read error at byte offset {Offset} (frame {_frames + 1}): {e.Message}");
        }
    }

    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }

    private long Offset => _bufferOffset + _start;
    private long NextFrameNumber => _frames + 1;
    private int Available => _end - _start;

    private CaptureFileFormat DetectFormat()
    {
        if (!Ensure(4))
        {
            throw new InvalidDataException(Available == 0
                ? $"{Name}: not a pcap or pcapng file: it is empty"
                : $"{Name}: not a pcap or pcapng file: only {Available} bytes");
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
        if (magic == PcapNgBlockType.SectionHeader) return CaptureFileFormat.PcapNg;
        if (TrySetPcapMagic(magic)) return CaptureFileFormat.Pcap;
        throw new InvalidDataException(
            $"{Name}: not a pcap or pcapng file: first bytes 0x{Convert.ToHexString(_buffer, _start, 4)}");
    }

    private void CountFrame(int capturedLength)
    {
        Volatile.Write(ref _frames, _frames + 1);
        Volatile.Write(ref _capturedBytes, _capturedBytes + capturedLength);
        Volatile.Write(ref _consumed, Offset);
    }

    private bool Finish()
    {
        _finished = true;
        Volatile.Write(ref _consumed, Offset);
        return false;
    }

    private bool Stop(string message)
    {
        Volatile.Write(ref _stoppedEarly, message);
        return Finish();
    }

    /// <summary>
    /// Makes at least <paramref name="count"/> (at most <see cref="MaxBufferLength"/>) bytes available
    /// at _start; false when the input ends first. Moves or grows the buffer, never beyond the cap.
    /// </summary>
    private bool Ensure(int count)
    {
        if (Available >= count) return true;
        if (count > _buffer.Length)
        {
            var larger = new byte[Math.Min(MaxBufferLength, Math.Max(count, _buffer.Length * 2))];
            Buffer.BlockCopy(_buffer, _start, larger, 0, Available);
            Rebase(larger);
        }
        else if (_buffer.Length - _start < count)
        {
            Rebase(_buffer);
        }
        while (!_endOfStream && Available < count)
        {
            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0) _endOfStream = true;
            else _end += read;
        }
        return Available >= count;
    }

    private void Rebase(byte[] target)
    {
        int available = Available;
        if (ReferenceEquals(target, _buffer)) Buffer.BlockCopy(_buffer, _start, _buffer, 0, available);
        _bufferOffset += _start;
        _buffer = target;
        _start = 0;
        _end = available;
    }

    /// <summary>Consumes <paramref name="count"/> bytes without holding them; false when the input ends first.</summary>
    private bool Skip(long count)
    {
        if (count <= Available)
        {
            _start += (int)count;
            return true;
        }
        count -= Available;
        _bufferOffset += _end;
        _start = _end = 0;
        if (_stream.CanSeek)
        {
            long remaining = _stream.Length - _stream.Position;
            long step = Math.Min(count, remaining);
            _stream.Seek(step, SeekOrigin.Current);
            _bufferOffset += step;
            if (step < count) _endOfStream = true;
            return step == count;
        }
        while (count > 0)
        {
            int read = _stream.Read(_buffer, 0, (int)Math.Min(count, _buffer.Length));
            if (read <= 0)
            {
                _endOfStream = true;
                return false;
            }
            count -= read;
            _bufferOffset += read;
        }
        return true;
    }

    private ushort U16(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private uint U32(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    private ulong U64(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);
}
