using System.Buffers.Binary;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// The .fms file <c>flowmesh summarize</c> writes and <c>flowmesh query</c> reads: an 8-byte header
/// ("FMSF", u8 version 1, three zero bytes), then any number of frames, each a u32 little-endian length followed
/// by one encoded <see cref="EpochRecord"/> (which carries its own version, key fingerprint and CRC). Appending
/// adds frames; a file cut short mid-frame is reported with the offset of the damaged frame.
/// </summary>
internal static class SummarizedRecordFile
{
    private const byte Version = 1;
    private static ReadOnlySpan<byte> Magic => "FMSF"u8;

    /// <summary>
    /// The key of offline files when no --key-file is given: fixed and public, so anyone can read them. A cluster
    /// uses its own secret key (the point of keyed hashing is that outsiders cannot predict it).
    /// </summary>
    public static SketchHashKey DefaultKey { get; } = new("flowmesh-offline"u8);

    public static SketchHashKey LoadKey(string? path)
    {
        if (path is null) return DefaultKey;
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length == 16) return new SketchHashKey(raw);
        string text = System.Text.Encoding.ASCII.GetString(raw).Trim();
        if (text.Length == 32)
        {
            try
            {
                return new SketchHashKey(Convert.FromHexString(text));
            }
            catch (FormatException)
            {
            }
        }
        throw new InvalidDataException($"{path}: a key file holds exactly 16 bytes or 32 hex digits.");
    }

    /// <summary>Opens <paramref name="path"/> for appending frames, writing the header if the file is new or empty.</summary>
    public static FileStream OpenForAppend(string path)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        try
        {
            if (stream.Length == 0)
            {
                stream.Write([.. Magic, Version, 0, 0, 0]);
            }
            else
            {
                Span<byte> header = stackalloc byte[8];
                if (stream.Length < 8 || stream.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8 || !header[..4].SequenceEqual(Magic))
                    throw new InvalidDataException($"{path}: exists and is not a Flowmesh summary file; refusing to append to it.");
                if (header[4] != Version)
                    throw new InvalidDataException($"{path}: summary file version {header[4]} is not supported.");
                stream.Seek(0, SeekOrigin.End);
            }
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public static void Append(Stream stream, EpochRecord record)
    {
        byte[] bytes = record.Encode();
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
        stream.Write(length);
        stream.Write(bytes);
    }

    /// <summary>Every record in the file, in file order. Throws <see cref="InvalidDataException"/> naming the file and frame on any damage.</summary>
    public static List<EpochRecord> ReadAll(string path, SketchHashKey key)
    {
        using var stream = File.OpenRead(path);
        Span<byte> header = stackalloc byte[8];
        if (stream.ReadAtLeast(header, 8, throwOnEndOfStream: false) < 8 || !header[..4].SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a Flowmesh summary file (written by 'flowmesh summarize').");
        if (header[4] != Version)
            throw new InvalidDataException($"{path}: summary file version {header[4]} is not supported (this build reads version {Version}).");
        var records = new List<EpochRecord>();
        Span<byte> lengthBytes = stackalloc byte[4];
        for (int frame = 1; ; frame++)
        {
            long offset = stream.Position;
            int got = stream.ReadAtLeast(lengthBytes, 4, throwOnEndOfStream: false);
            if (got == 0) return records;
            if (got < 4)
                throw new InvalidDataException($"{path}: frame {frame} at byte {offset} is cut short (file truncated).");
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
            if (length > EpochRecord.MaxEncodedLength)
                throw new InvalidDataException($"{path}: frame {frame} at byte {offset} declares {length} bytes, more than any record ({EpochRecord.MaxEncodedLength}).");
            if (length > stream.Length - stream.Position)
                throw new InvalidDataException($"{path}: frame {frame} at byte {offset} declares {length} bytes but the file ends first (file truncated).");
            byte[] body = new byte[length];
            stream.ReadExactly(body);
            try
            {
                records.Add(EpochRecord.Decode(body, key));
            }
            catch (EpochRecordFormatException e)
            {
                string hint = e.Message.Contains("another hash key", StringComparison.Ordinal) ? " Pass the --key-file it was summarized with." : "";
                throw new InvalidDataException($"{path}: frame {frame} at byte {offset}: {e.Message}{hint}", e);
            }
        }
    }
}
