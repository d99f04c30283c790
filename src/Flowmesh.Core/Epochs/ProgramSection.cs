using System.Buffers.Binary;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

/// <summary>The process a record names for a program: the one with the most flows in the record's epoch(s).</summary>
/// <param name="User">The user as the origin's privacy settings let it out (a name, a hashed text, or null).</param>
/// <param name="Flows">Flow deltas of this process in the epoch(s): flows it had traffic on, summed per epoch.</param>
public readonly record struct ProgramProcess(int Pid, string? User, ulong Flows);

/// <summary>
/// Extension 6, "programs" (docs/epoch-records.md): the programs behind the origin's flows, keyed by the 64-bit
/// identity of their name (<see cref="HostContext.HostContextPrivacy.Identity"/>): top programs by bytes (Space-Saving,
/// k = <see cref="TopCapacity"/>), distinct remote addresses per program (a HyperLogLog p = <see cref="SpreadPrecision"/>
/// for each of at most <see cref="MaxSpreadPrograms"/> programs), one process per listed program (pid, user), and the
/// names of the listed programs unless they were hashed.
/// </summary>
internal sealed class ProgramSection
{
    public const int TopCapacity = 32;
    public const int MaxSpreadPrograms = 16;
    public const int SpreadPrecision = 10;
    public const int MaxProcesses = 32;
    public const int MaxLabels = TopCapacity + MaxSpreadPrograms;
    /// <summary>Programs whose destinations are counted while an epoch is open; the heaviest <see cref="MaxSpreadPrograms"/> are kept at the seal.</summary>
    public const int WorkingPrograms = 256;
    private const int WorkingProcesses = 4096;

    private Dictionary<(ulong Program, int Pid), (string? User, ulong Flows)>? _working;

    public ProgramSection(SketchHashKey key)
    {
        Key = key;
        ByBytes = new SpaceSavingSummary(key, TopCapacity, sizeof(ulong));
    }

    public SketchHashKey Key { get; }
    public SpaceSavingSummary ByBytes { get; private set; }
    public SortedDictionary<ulong, HyperLogLog> Destinations { get; } = [];
    public SortedDictionary<ulong, ProgramProcess> Processes { get; } = [];
    public Dictionary<ulong, string> Labels { get; } = [];

    /// <summary>One flow delta of a program (while the epoch is open).</summary>
    /// <param name="label">The program's name, or null when it is shared only as a hash.</param>
    public void Add(ulong program, string? label, int pid, string? user, ulong bytes, ReadOnlySpan<byte> remote)
    {
        Span<byte> id = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(id, program);
        if (bytes > 0) ByBytes.Add(id, bytes);
        if (Destinations.TryGetValue(program, out var hll)) hll.Add(remote);
        else if (Destinations.Count < WorkingPrograms)
        {
            hll = new HyperLogLog(Key, SpreadPrecision);
            hll.Add(remote);
            Destinations[program] = hll;
        }
        if (label is not null && !Labels.ContainsKey(program) && Labels.Count < WorkingPrograms) Labels[program] = ContextLabels.Clip(label);
        _working ??= [];
        if (_working.TryGetValue((program, pid), out var seen)) _working[(program, pid)] = (seen.User ?? user, seen.Flows + 1);
        else if (_working.Count < WorkingProcesses) _working[(program, pid)] = (user, 1);
    }

    /// <summary>Ends the epoch: names one process per program and cuts every list to its cap.</summary>
    public void Seal()
    {
        if (_working is not null)
        {
            foreach (var ((program, pid), (user, flows)) in _working)
            {
                var candidate = new ProgramProcess(pid, user, flows);
                if (!Processes.TryGetValue(program, out var held) || Prefer(candidate, held)) Processes[program] = candidate;
            }
            _working = null;
        }
        Prune();
    }

    public bool IsEmpty => ByBytes.TotalWeight == 0 && Destinations.Count == 0 && Processes.Count == 0;

    /// <summary>The busier process; between equals, the lower pid (so merges do not depend on their order).</summary>
    private static bool Prefer(ProgramProcess a, ProgramProcess b) => a.Flows != b.Flows ? a.Flows > b.Flows : a.Pid < b.Pid;

    private void Prune()
    {
        if (Destinations.Count > MaxSpreadPrograms)
        {
            var drop = Destinations.Select(d => (d.Key, Estimate: d.Value.Estimate()))
                .OrderByDescending(d => d.Estimate).ThenBy(d => d.Key).Skip(MaxSpreadPrograms).Select(d => d.Key).ToList();
            foreach (var program in drop) Destinations.Remove(program);
        }
        var listed = Listed();
        foreach (var program in Processes.Keys.Where(p => !listed.Contains(p)).ToList()) Processes.Remove(program);
        if (Processes.Count > MaxProcesses)
            foreach (var program in Processes.OrderByDescending(p => p.Value.Flows).ThenBy(p => p.Key).Skip(MaxProcesses).Select(p => p.Key).ToList())
                Processes.Remove(program);
        foreach (var program in Labels.Keys.Where(p => !listed.Contains(p)).ToList()) Labels.Remove(program);
    }

    /// <summary>Programs the record lists: in the top list or with a distinct count.</summary>
    private HashSet<ulong> Listed()
    {
        var listed = new HashSet<ulong>(Destinations.Keys);
        foreach (var item in ByBytes.Items()) listed.Add(BinaryPrimitives.ReadUInt64LittleEndian(item.Key));
        return listed;
    }

    /// <summary>Adds <paramref name="other"/> in: top lists merge as Space-Saving, distinct counts by union, a program's process by <see cref="Prefer"/> (the same pid sums).</summary>
    public void MergeFrom(ProgramSection other)
    {
        ByBytes.Merge(other.ByBytes);
        foreach (var (program, hll) in other.Destinations)
        {
            if (!Destinations.TryGetValue(program, out var mine)) Destinations[program] = mine = new HyperLogLog(Key, SpreadPrecision);
            mine.Merge(hll);
        }
        foreach (var (program, process) in other.Processes)
        {
            if (!Processes.TryGetValue(program, out var held)) Processes[program] = process;
            else if (held.Pid == process.Pid) Processes[program] = held with { Flows = held.Flows + process.Flows, User = held.User ?? process.User };
            else if (Prefer(process, held)) Processes[program] = process;
        }
        foreach (var (program, label) in other.Labels) Labels.TryAdd(program, label);
        Prune();
    }

    /// <summary>
    /// Layout: u32 n + the Space-Saving sketch (key: identity, 8 bytes LE); u8 n ≤ 16 × (u64 identity, increasing; u32 n +
    /// HyperLogLog); u8 n ≤ 32 × (u64 identity, increasing; u32 pid; u64 flows; u8 n + UTF-8 user, 0: none); labels
    /// (<see cref="ContextLabels"/>). The caller sealed or merged it, so every list is within its cap.
    /// </summary>
    public void Write(EpochRecordWriter w)
    {
        byte[] top = ByBytes.Serialize();
        w.WriteUInt32((uint)top.Length);
        w.WriteBytes(top);
        w.WriteByte((byte)Destinations.Count);
        foreach (var (program, hll) in Destinations)
        {
            byte[] bytes = hll.Serialize();
            w.WriteUInt64(program);
            w.WriteUInt32((uint)bytes.Length);
            w.WriteBytes(bytes);
        }
        w.WriteByte((byte)Processes.Count);
        foreach (var (program, process) in Processes)
        {
            w.WriteUInt64(program);
            w.WriteUInt32((uint)process.Pid);
            w.WriteUInt64(process.Flows);
            byte[] user = System.Text.Encoding.UTF8.GetBytes(ContextLabels.Clip(process.User ?? ""));
            w.WriteByte((byte)user.Length);
            w.WriteBytes(user);
        }
        ContextLabels.Write(w, Labels, _ => true);
    }

    public static ProgramSection Read(ref EpochRecordReader r, SketchHashKey key)
    {
        var section = new ProgramSection(key);
        try
        {
            uint topLength = r.ReadUInt32();
            r.Require(topLength, "the top programs");
            section.ByBytes = SpaceSavingSummary.Deserialize(r.ReadBytes((int)topLength), key);
            if (section.ByBytes.Capacity != TopCapacity || section.ByBytes.KeyLength != sizeof(ulong))
                throw r.Invalid($"top programs have capacity {section.ByBytes.Capacity} and key length {section.ByBytes.KeyLength}, not {TopCapacity} and 8");
            int spread = r.ReadByte();
            if (spread > MaxSpreadPrograms) throw r.Invalid($"{spread} programs with distinct counts, more than {MaxSpreadPrograms}");
            for (int i = 0; i < spread; i++)
            {
                ulong program = r.ReadUInt64();
                if (i > 0 && program <= section.Destinations.Keys.Last()) throw r.Invalid("programs with distinct counts are not in increasing order");
                uint length = r.ReadUInt32();
                r.Require(length, "a program's distinct count");
                var hll = HyperLogLog.Deserialize(r.ReadBytes((int)length), key);
                if (hll.Precision != SpreadPrecision) throw r.Invalid($"a program's distinct count has precision {hll.Precision}, not {SpreadPrecision}");
                section.Destinations[program] = hll;
            }
        }
        catch (SketchFormatException e)
        {
            throw r.Invalid($"extension programs: {e.Message.TrimEnd('.')}");
        }
        int processes = r.ReadByte();
        if (processes > MaxProcesses) throw r.Invalid($"{processes} program processes, more than {MaxProcesses}");
        var listed = section.Listed();
        for (int i = 0; i < processes; i++)
        {
            ulong program = r.ReadUInt64();
            if (i > 0 && program <= section.Processes.Keys.Last()) throw r.Invalid("program processes are not in increasing order");
            if (!listed.Contains(program)) throw r.Invalid("a process names a program the record does not list");
            uint pid = r.ReadUInt32();
            ulong flows = r.ReadUInt64();
            if (pid > int.MaxValue || flows == 0) throw r.Invalid("a program process has an invalid pid or no flows");
            int userLength = r.ReadByte();
            string? user = userLength == 0 ? null : ContextLabels.Text(ref r, userLength, "user");
            section.Processes[program] = new ProgramProcess((int)pid, user, flows);
        }
        ContextLabels.Read(ref r, section.Labels, MaxLabels, "program");
        foreach (var program in section.Labels.Keys)
            if (!listed.Contains(program)) throw r.Invalid("a program label names a program the record does not list");
        if (section.IsEmpty) throw r.Invalid("an empty programs extension");
        return section;
    }
}
