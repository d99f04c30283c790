using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Compact binary wire format. A packet is: version byte, message count, then each message as a type byte and its
/// fields (strings are a length byte + UTF-8, integers big-endian u32). Broadcasts are encoded once when queued and
/// copied into many packets, so messages encode on their own and packets are just concatenations.
/// The decoder sees untrusted bytes: it checks every length, never throws, and rejects the whole packet on any flaw.
/// Version 2 (issue 16) adds a proof to Alive, Leave and push-pull entries: credential length (u16) | credential |
/// signature length (u8: 0, or 64) | signature; an unsigned claim is the three zero bytes. Version 1 packets (agents
/// from before) are refused whole as an unknown version, and counted as malformed.
/// </summary>
public static class MessageCodec
{
    public const byte Version = 2;

    /// <summary>Largest credential a proof may carry (a certificate fits; the cap bounds hostile input).</summary>
    public const int MaxCredentialBytes = 2048;

    public const int SignatureBytes = 64;

    /// <summary>Hard cap on anything we decode (push-pull of ~10 000 members fits); larger input is rejected unread.</summary>
    public const int MaxPacketBytes = 1 << 20;

    /// <summary>Bytes a packet needs before its messages.</summary>
    public const int PacketHeaderBytes = 2;

    public const int MaxMessagesPerPacket = 255;

    private enum MessageType : byte
    {
        Ping = 1,
        Ack = 2,
        PingRequest = 3,
        Nack = 4,
        Alive = 5,
        Suspect = 6,
        Dead = 7,
        Leave = 8,
        PushPull = 9,
    }

    public static byte[] Encode(GossipMessage message)
    {
        var w = new ArrayBufferWriter<byte>(64);
        Write(w, message);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Builds a packet from messages that were each produced by <see cref="Encode"/>.</summary>
    public static byte[] Pack(IReadOnlyList<byte[]> encodedMessages)
    {
        if (encodedMessages.Count is 0 or > MaxMessagesPerPacket)
            throw new ArgumentOutOfRangeException(nameof(encodedMessages), "a packet holds 1 to 255 messages");
        var length = PacketHeaderBytes;
        foreach (var m in encodedMessages) length += m.Length;
        var packet = new byte[length];
        packet[0] = Version;
        packet[1] = (byte)encodedMessages.Count;
        var offset = PacketHeaderBytes;
        foreach (var m in encodedMessages)
        {
            m.CopyTo(packet, offset);
            offset += m.Length;
        }
        return packet;
    }

    public static byte[] EncodePacket(params GossipMessage[] messages) => Pack(messages.Select(Encode).ToArray());

    /// <summary>Decodes a whole packet into <paramref name="messages"/>; on failure it adds nothing and says why.</summary>
    public static bool TryDecodePacket(ReadOnlySpan<byte> packet, List<GossipMessage> messages, out string? error)
    {
        if (packet.Length > MaxPacketBytes) { error = "oversized packet"; return false; }
        if (packet.Length < PacketHeaderBytes) { error = "truncated header"; return false; }
        if (packet[0] != Version) { error = $"unknown version {packet[0]}"; return false; }
        int count = packet[1];
        if (count == 0) { error = "empty packet"; return false; }
        var reader = new Reader(packet[PacketHeaderBytes..]);
        var decoded = new List<GossipMessage>(count);
        for (var i = 0; i < count; i++)
        {
            if (!TryRead(ref reader, out var message, out error)) return false;
            decoded.Add(message!);
        }
        if (!reader.AtEnd) { error = "trailing bytes"; return false; }
        messages.AddRange(decoded);
        error = null;
        return true;
    }

    private static void Write(ArrayBufferWriter<byte> w, GossipMessage message)
    {
        switch (message)
        {
            case Ping p: WriteByte(w, (byte)MessageType.Ping); WriteU32(w, p.Sequence); WriteId(w, p.Target); WriteId(w, p.Source); break;
            case Ack a: WriteByte(w, (byte)MessageType.Ack); WriteU32(w, a.Sequence); WriteId(w, a.Source); break;
            case PingRequest r:
                WriteByte(w, (byte)MessageType.PingRequest); WriteU32(w, r.Sequence); WriteId(w, r.Target);
                WriteAddress(w, r.TargetAddress); WriteId(w, r.Source); break;
            case Nack n: WriteByte(w, (byte)MessageType.Nack); WriteU32(w, n.Sequence); WriteId(w, n.Source); break;
            case Alive a:
                WriteByte(w, (byte)MessageType.Alive); WriteId(w, a.Node); WriteU32(w, a.Incarnation); WriteAddress(w, a.Address);
                WriteProof(w, a.Proof); break;
            case Suspect s: WriteByte(w, (byte)MessageType.Suspect); WriteId(w, s.Node); WriteU32(w, s.Incarnation); WriteId(w, s.From); break;
            case Dead d: WriteByte(w, (byte)MessageType.Dead); WriteId(w, d.Node); WriteU32(w, d.Incarnation); WriteId(w, d.From); break;
            case Leave l: WriteByte(w, (byte)MessageType.Leave); WriteId(w, l.Node); WriteU32(w, l.Incarnation); WriteProof(w, l.Proof); break;
            case PushPull pp:
                if (pp.Entries.Count > ushort.MaxValue) throw new ArgumentException("push-pull holds at most 65535 members");
                WriteByte(w, (byte)MessageType.PushPull); WriteId(w, pp.Source); WriteByte(w, pp.IsReply ? (byte)1 : (byte)0);
                var span = w.GetSpan(2); BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)pp.Entries.Count); w.Advance(2);
                foreach (var e in pp.Entries)
                {
                    WriteId(w, e.Node); WriteAddress(w, e.Address); WriteU32(w, e.Incarnation); WriteByte(w, (byte)e.State);
                    WriteProof(w, e.Proof);
                }
                break;
            default: throw new ArgumentException($"unknown message {message.GetType().Name}", nameof(message));
        }
    }

    private static void WriteProof(ArrayBufferWriter<byte> w, MemberProof? proof)
    {
        var credential = proof?.Credential ?? [];
        var signature = proof?.Signature ?? [];
        if (credential.Length > MaxCredentialBytes) throw new ArgumentException($"a credential is at most {MaxCredentialBytes} bytes");
        if (signature.Length is not (0 or SignatureBytes) || (credential.Length == 0) != (signature.Length == 0))
            throw new ArgumentException("a proof is a credential and a 64-byte signature, or neither");
        BinaryPrimitives.WriteUInt16BigEndian(w.GetSpan(2), (ushort)credential.Length);
        w.Advance(2);
        w.Write(credential);
        WriteByte(w, (byte)signature.Length);
        w.Write(signature);
    }

    private static void WriteByte(ArrayBufferWriter<byte> w, byte b)
    {
        w.GetSpan(1)[0] = b;
        w.Advance(1);
    }

    private static void WriteU32(ArrayBufferWriter<byte> w, uint v)
    {
        BinaryPrimitives.WriteUInt32BigEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void WriteId(ArrayBufferWriter<byte> w, NodeId id) => WriteString(w, id.Value, NodeId.MaxLength);

    private static void WriteAddress(ArrayBufferWriter<byte> w, GossipAddress a) => WriteString(w, a.Value, GossipAddress.MaxLength);

    private static void WriteString(ArrayBufferWriter<byte> w, string s, int max)
    {
        var n = Encoding.UTF8.GetByteCount(s);
        if (n is 0 || n > max) throw new ArgumentException($"string of {n} bytes does not fit 1..{max}");
        WriteByte(w, (byte)n);
        Encoding.UTF8.GetBytes(s, w.GetSpan(n));
        w.Advance(n);
    }

    private static bool TryRead(ref Reader r, out GossipMessage? message, out string? error)
    {
        message = null;
        error = "truncated message";
        if (!r.TryByte(out var type)) return false;
        switch ((MessageType)type)
        {
            case MessageType.Ping:
                if (!r.TryU32(out var seq) || !r.TryId(out var target) || !r.TryId(out var source)) return false;
                message = new Ping(seq, target, source); break;
            case MessageType.Ack:
                if (!r.TryU32(out seq) || !r.TryId(out source)) return false;
                message = new Ack(seq, source); break;
            case MessageType.PingRequest:
                if (!r.TryU32(out seq) || !r.TryId(out target) || !r.TryAddress(out var address) || !r.TryId(out source)) return false;
                message = new PingRequest(seq, target, address, source); break;
            case MessageType.Nack:
                if (!r.TryU32(out seq) || !r.TryId(out source)) return false;
                message = new Nack(seq, source); break;
            case MessageType.Alive:
                if (!r.TryId(out var node) || !r.TryU32(out var inc) || !r.TryAddress(out address) || !r.TryProof(out var proof)) return false;
                message = new Alive(node, inc, address, proof); break;
            case MessageType.Suspect:
                if (!r.TryId(out node) || !r.TryU32(out inc) || !r.TryId(out var from)) return false;
                message = new Suspect(node, inc, from); break;
            case MessageType.Dead:
                if (!r.TryId(out node) || !r.TryU32(out inc) || !r.TryId(out from)) return false;
                message = new Dead(node, inc, from); break;
            case MessageType.Leave:
                if (!r.TryId(out node) || !r.TryU32(out inc) || !r.TryProof(out proof)) return false;
                message = new Leave(node, inc, proof); break;
            case MessageType.PushPull:
                if (!r.TryId(out source) || !r.TryByte(out var isReply) || !r.TryU16(out var count)) return false;
                if (isReply > 1) { error = "bad push-pull flag"; return false; }
                // Each entry is at least 12 bytes (1-byte name and address, incarnation, state, empty proof): refuse counts the remaining input cannot hold before allocating.
                if (count * 12 > r.Remaining) return false;
                var entries = new PushPullEntry[count];
                for (var i = 0; i < count; i++)
                {
                    if (!r.TryId(out node) || !r.TryAddress(out address) || !r.TryU32(out inc) || !r.TryByte(out var state)) return false;
                    if (state > (byte)MemberState.Left) { error = "bad member state"; return false; }
                    if (!r.TryProof(out proof)) return false;
                    entries[i] = new PushPullEntry(node, address, inc, (MemberState)state, proof);
                }
                message = new PushPull(source, isReply == 1, entries); break;
            default:
                error = $"unknown message type {type}";
                return false;
        }
        error = null;
        return true;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        public readonly int Remaining => _rest.Length;

        public bool TryByte(out byte value)
        {
            value = 0;
            if (_rest.Length < 1) return false;
            value = _rest[0];
            _rest = _rest[1..];
            return true;
        }

        public bool TryU16(out ushort value)
        {
            value = 0;
            if (_rest.Length < 2) return false;
            value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
            _rest = _rest[2..];
            return true;
        }

        public bool TryU32(out uint value)
        {
            value = 0;
            if (_rest.Length < 4) return false;
            value = BinaryPrimitives.ReadUInt32BigEndian(_rest);
            _rest = _rest[4..];
            return true;
        }

        public bool TryId(out NodeId id)
        {
            id = default;
            // Names from the network obey --name's rules: a control character would reach `members`, logs and the
            // dashboard (terminal injection, forged log lines); the whole packet is refused as malformed.
            if (!TryString(NodeId.MaxLength, out var s) || !NodeId.IsValidName(s)) return false;
            id = new NodeId(s);
            return true;
        }

        public bool TryAddress(out GossipAddress address)
        {
            address = default;
            // Printed in `members`, logs and the dashboard like names: no control, whitespace or format characters.
            if (!TryString(GossipAddress.MaxLength, out var s) || !NodeId.IsPrintable(s)) return false;
            address = new GossipAddress(s);
            return true;
        }

        /// <summary>A proof, or null for the unsigned form (three zero bytes); anything in between is malformed.</summary>
        public bool TryProof(out MemberProof? proof)
        {
            proof = null;
            if (!TryU16(out var credentialLength) || credentialLength > MaxCredentialBytes || _rest.Length < credentialLength) return false;
            var credential = _rest[..credentialLength];
            _rest = _rest[credentialLength..];
            if (!TryByte(out var signatureLength) || _rest.Length < signatureLength) return false;
            if (credentialLength == 0 && signatureLength == 0) return true;
            if (credentialLength == 0 || signatureLength != SignatureBytes) return false;
            proof = new MemberProof(credential.ToArray(), _rest[..signatureLength].ToArray());
            _rest = _rest[signatureLength..];
            return true;
        }

        private bool TryString(int max, out string value)
        {
            value = "";
            if (!TryByte(out var n) || n == 0 || n > max || _rest.Length < n) return false;
            var bytes = _rest[..n];
            // Invalid UTF-8 would decode to replacement characters, letting two different byte strings name one node.
            if (!Utf8.IsValid(bytes)) return false;
            value = Encoding.UTF8.GetString(bytes);
            _rest = _rest[n..];
            return true;
        }
    }
}
