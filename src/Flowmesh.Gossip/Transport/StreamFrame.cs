using System.Buffers.Binary;
using System.Net.Sockets;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// One stream frame: length (4 bytes, big-endian) | body (a sealed envelope). The length is checked against the cap
/// before anything else, and the body buffer grows only as bytes actually arrive, so a peer announcing 8 MiB and
/// sending nothing costs a 64 KiB buffer for at most the stream timeout, not 8 MiB.
/// </summary>
internal static class StreamFrame
{
    public const int LengthPrefixBytes = 4;
    private const int InitialBuffer = 64 * 1024;

    /// <summary>BadLength: announced below the smallest envelope; TooLong: above the reader's cap.</summary>
    public enum ReadResult { Ok, Closed, BadLength, TooLong }

    public static byte[] Frame(byte[] body)
    {
        var frame = new byte[LengthPrefixBytes + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)body.Length);
        body.CopyTo(frame, LengthPrefixBytes);
        return frame;
    }

    public static async Task<(ReadResult Result, byte[]? Body)> ReadAsync(Socket socket, int minBody, int maxBody, CancellationToken cancellationToken)
    {
        var prefix = new byte[LengthPrefixBytes];
        if (!await ReadExactlyAsync(socket, prefix, cancellationToken)) return (ReadResult.Closed, null);
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length < (uint)minBody) return (ReadResult.BadLength, null);
        if (length > (uint)maxBody) return (ReadResult.TooLong, null);
        var body = new byte[Math.Min((int)length, InitialBuffer)];
        var filled = 0;
        while (filled < length)
        {
            if (filled == body.Length) Array.Resize(ref body, (int)Math.Min(length, (long)body.Length * 2));
            var read = await socket.ReceiveAsync(body.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0) return (ReadResult.Closed, null);
            filled += read;
        }
        return (ReadResult.Ok, body);
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken);
            if (read == 0) return false;
            filled += read;
        }
        return true;
    }
}
