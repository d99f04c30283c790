using System.Buffers.Binary;

namespace Flowmesh.Capture.Tests;

/// <summary>
/// Writes pcap and pcapng bytes field by field, straight from the format specifications, so tests
/// can state expected values by hand. Remembers where each record ends, for truncation tests.
/// </summary>
internal sealed class TestCaptureWriter
{
    private readonly MemoryStream _bytes = new();
    private bool _bigEndian;

    public List<int> RecordEnds { get; } = [];
    public int Length => (int)_bytes.Length;
    public byte[] ToArray() => _bytes.ToArray();

    public static TestCaptureWriter Pcap(bool bigEndian, bool nanoseconds, uint snapLength, uint linkType, bool modified = false)
    {
        var w = new TestCaptureWriter { _bigEndian = bigEndian };
        w.U32(modified ? 0xA1B2CD34u : nanoseconds ? 0xA1B23C4Du : 0xA1B2C3D4u);
        w.U16(2);
        w.U16(4);
        w.U32(0);         // thiszone
        w.U32(0);         // sigfigs
        w.U32(snapLength);
        w.U32(linkType);
        w.RecordEnds.Add(w.Length);
        return w;
    }

    public TestCaptureWriter PcapRecord(uint seconds, uint fraction, byte[] data, uint? originalLength = null,
        uint? capturedLengthField = null, bool modified = false)
    {
        U32(seconds);
        U32(fraction);
        U32(capturedLengthField ?? (uint)data.Length);
        U32(originalLength ?? (uint)data.Length);
        if (modified)
        {
            U32(7);   // ifindex
            U16(0x0800);
            Raw([0, 0]);
        }
        Raw(data);
        RecordEnds.Add(Length);
        return this;
    }

    public static TestCaptureWriter PcapNg() => new();

    public TestCaptureWriter SectionHeader(bool bigEndian, ushort major = 1)
    {
        _bigEndian = bigEndian;
        return Block(0x0A0D0D0A, w =>
        {
            w.U32(0x1A2B3C4D);
            w.U16(major);
            w.U16(0);
            w.U64(ulong.MaxValue);   // section length: unknown
        });
    }

    /// <param name="options">pcapng options as (code, value) pairs; end-of-options is appended.</param>
    public TestCaptureWriter InterfaceDescription(ushort linkType, uint snapLength, params (ushort Code, byte[] Value)[] options) =>
        Block(1, w =>
        {
            w.U16(linkType);
            w.U16(0);
            w.U32(snapLength);
            w.Options(options);
        });

    public TestCaptureWriter EnhancedPacket(uint interfaceId, ulong timestamp, byte[] data, uint? originalLength = null,
        uint? capturedLengthField = null) =>
        Block(6, w =>
        {
            w.U32(interfaceId);
            w.U32((uint)(timestamp >> 32));
            w.U32((uint)timestamp);
            w.U32(capturedLengthField ?? (uint)data.Length);
            w.U32(originalLength ?? (uint)data.Length);
            w.Padded(data);
            w.Options([(1, "a comment"u8.ToArray())]);
        });

    public TestCaptureWriter ObsoletePacket(ushort interfaceId, ulong timestamp, byte[] data, uint? originalLength = null) =>
        Block(2, w =>
        {
            w.U16(interfaceId);
            w.U16(0);   // drops count
            w.U32((uint)(timestamp >> 32));
            w.U32((uint)timestamp);
            w.U32((uint)data.Length);
            w.U32(originalLength ?? (uint)data.Length);
            w.Padded(data);
        });

    public TestCaptureWriter SimplePacket(uint originalLength, byte[] data) =>
        Block(3, w =>
        {
            w.U32(originalLength);
            w.Padded(data);
        });

    public TestCaptureWriter UnknownBlock(uint type, int bodyLength) => Block(type, w => w.Raw(new byte[bodyLength]));

    /// <summary>A block whose length fields are given explicitly, to make damaged files.</summary>
    public TestCaptureWriter RawBlock(uint type, uint headerLength, byte[] body, uint trailerLength)
    {
        U32(type);
        U32(headerLength);
        Raw(body);
        U32(trailerLength);
        RecordEnds.Add(Length);
        return this;
    }

    public TestCaptureWriter Raw(byte[] bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    private TestCaptureWriter Block(uint type, Action<TestCaptureWriter> writeBody)
    {
        var body = new TestCaptureWriter { _bigEndian = _bigEndian };
        writeBody(body);
        uint length = (uint)(12 + body.Length);
        U32(type);
        U32(length);
        _bytes.Write(body.ToArray());
        U32(length);
        RecordEnds.Add(Length);
        return this;
    }

    private void Options((ushort Code, byte[] Value)[] options)
    {
        if (options.Length == 0) return;
        foreach (var (code, value) in options)
        {
            U16(code);
            U16((ushort)value.Length);
            Padded(value);
        }
        U32(0);   // opt_endofopt, length 0
    }

    private void Padded(byte[] data)
    {
        Raw(data);
        Raw(new byte[(4 - data.Length % 4) % 4]);
    }

    public void U16(ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        if (_bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        _bytes.Write(b);
    }

    public void U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        if (_bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _bytes.Write(b);
    }

    public void U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        if (_bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, v); else BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        _bytes.Write(b);
    }

    /// <summary>An 8-byte option value in the current section's byte order.</summary>
    public byte[] Int64Option(long v)
    {
        var b = new byte[8];
        if (_bigEndian) BinaryPrimitives.WriteInt64BigEndian(b, v); else BinaryPrimitives.WriteInt64LittleEndian(b, v);
        return b;
    }
}
