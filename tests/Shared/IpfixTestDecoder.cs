using System.Buffers.Binary;

namespace Flowmesh.Tests.Shared;

/// <summary>
/// A small IPFIX reader (RFC 7011) written for the tests from the RFC, independent of the encoder's code: it learns
/// templates from template sets and turns data sets into records of (element id, enterprise) -> value bytes. It reads
/// hostile input too: whatever it cannot use it counts in <see cref="Problems"/> and skips, never throwing or looping.
/// </summary>
internal sealed class IpfixTestDecoder
{
    public readonly record struct FieldKey(ushort Id, uint Enterprise);

    public sealed record Message(ushort Length, uint ExportTime, uint Sequence, uint Domain, int TemplateRecords, IReadOnlyList<Record> Records);

    public sealed record Record(ushort TemplateId, IReadOnlyDictionary<FieldKey, byte[]> Fields)
    {
        public ulong Unsigned(ushort id, uint enterprise = 0)
        {
            byte[] value = Fields[new FieldKey(id, enterprise)];
            ulong result = 0;
            foreach (byte b in value) result = (result << 8) | b;
            return result;
        }

        public byte[] Bytes(ushort id) => Fields[new FieldKey(id, 0)];
    }

    /// <summary>At most this many fields in one template: a hostile count must not make the reader allocate without bound.</summary>
    private const int MaxFields = 512;

    private readonly Dictionary<(uint Domain, ushort Id), (FieldKey Key, ushort Length)[]> _templates = [];

    /// <summary>What was skipped, by reason ("truncated header", "set length", "unknown template", ...).</summary>
    public Dictionary<string, int> Problems { get; } = [];

    /// <summary>Decodes one message; null when not even its header is usable.</summary>
    public Message? Read(ReadOnlySpan<byte> data)
    {
        if (data.Length < 16) return Problem("truncated header");
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(data);
        ushort length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (version != 10) return Problem("version");
        if (length < 16 || length > data.Length) return Problem("message length");
        uint domain = BinaryPrimitives.ReadUInt32BigEndian(data[12..]);
        var records = new List<Record>();
        int templateRecords = 0;
        ReadOnlySpan<byte> body = data[16..length];
        while (body.Length > 0)
        {
            if (body.Length < 4) { Problem("truncated set header"); break; }
            ushort setId = BinaryPrimitives.ReadUInt16BigEndian(body);
            ushort setLength = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
            if (setLength < 4 || setLength > body.Length) { Problem("set length"); break; }
            ReadOnlySpan<byte> content = body[4..setLength];
            body = body[setLength..];
            if (setId == 2) templateRecords += ReadTemplates(domain, content);
            else if (setId >= 256) ReadData(domain, setId, content, records);
            else Problem("reserved set id");
        }
        return new Message(length, BinaryPrimitives.ReadUInt32BigEndian(data[4..]), BinaryPrimitives.ReadUInt32BigEndian(data[8..]), domain, templateRecords, records);
    }

    private int ReadTemplates(uint domain, ReadOnlySpan<byte> content)
    {
        int count = 0;
        while (content.Length >= 4)
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(content);
            ushort fieldCount = BinaryPrimitives.ReadUInt16BigEndian(content[2..]);
            content = content[4..];
            if (id < 256 || fieldCount == 0 || fieldCount > MaxFields) { Problem("template header"); return count; }
            var fields = new (FieldKey, ushort)[fieldCount];
            for (int i = 0; i < fieldCount; i++)
            {
                if (content.Length < 4) { Problem("truncated template"); return count; }
                ushort raw = BinaryPrimitives.ReadUInt16BigEndian(content);
                ushort fieldLength = BinaryPrimitives.ReadUInt16BigEndian(content[2..]);
                content = content[4..];
                uint enterprise = 0;
                if ((raw & 0x8000) != 0)
                {
                    if (content.Length < 4) { Problem("truncated template"); return count; }
                    enterprise = BinaryPrimitives.ReadUInt32BigEndian(content);
                    content = content[4..];
                }
                fields[i] = (new FieldKey((ushort)(raw & 0x7FFF), enterprise), fieldLength);
            }
            _templates[(domain, id)] = fields;
            count++;
        }
        return count;
    }

    private void ReadData(uint domain, ushort setId, ReadOnlySpan<byte> content, List<Record> records)
    {
        if (!_templates.TryGetValue((domain, setId), out var fields)) { Problem("unknown template"); return; }
        // The shortest record: fixed fields, and one length byte for each variable-length one (RFC 7011 7).
        int minimum = fields.Sum(f => f.Length == 0xFFFF ? 1 : f.Length);
        if (minimum == 0) { Problem("empty template"); return; }
        while (content.Length >= minimum)
        {
            var values = new Dictionary<FieldKey, byte[]>();
            int offset = 0;
            foreach (var (key, declared) in fields)
            {
                int length = declared;
                if (declared == 0xFFFF)
                {
                    if (offset >= content.Length) { Problem("truncated variable length"); return; }
                    length = content[offset++];
                    if (length == 255)
                    {
                        if (offset + 2 > content.Length) { Problem("truncated variable length"); return; }
                        length = BinaryPrimitives.ReadUInt16BigEndian(content[offset..]);
                        offset += 2;
                    }
                }
                if (offset + length > content.Length) { Problem("truncated record"); return; }
                values[key] = content.Slice(offset, length).ToArray();
                offset += length;
            }
            records.Add(new Record(setId, values));
            content = content[offset..];
        }
        // What is left is padding (RFC 7011 3.3.1), which must be shorter than a record.
    }

    private Message? Problem(string reason)
    {
        Problems[reason] = Problems.GetValueOrDefault(reason) + 1;
        return null;
    }
}
