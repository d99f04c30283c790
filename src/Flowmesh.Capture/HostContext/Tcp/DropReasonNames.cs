using System.Globalization;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>
/// The running kernel's names for its drop reasons (<c>enum skb_drop_reason</c>), read from its BTF at start, because the
/// numbers change between kernel versions. Names lose their SKB_DROP_REASON_ prefix ("NETFILTER_DROP"); a number the
/// table does not know is shown as itself ("reason 412").
/// </summary>
public sealed class DropReasonNames
{
    private const string Prefix = "SKB_DROP_REASON_";
    public const string KernelBtfPath = "/sys/kernel/btf/vmlinux";
    /// <summary>The kernel's BTF is a few MB; anything far larger is not one.</summary>
    private const long MaxBtfBytes = 64L * 1024 * 1024;

    private readonly Dictionary<uint, string> _names;
    private readonly Dictionary<uint, string> _unknown = [];

    private DropReasonNames(Dictionary<uint, string> names, string? problem)
    {
        _names = names;
        Problem = problem;
    }

    /// <summary>Why the names could not be read (the numbers are then shown), or null.</summary>
    public string? Problem { get; }

    public int Count => _names.Count;

    public static DropReasonNames FromKernel(string btfPath = KernelBtfPath)
    {
        try
        {
            var file = new FileInfo(btfPath);
            if (!file.Exists) return new DropReasonNames([], $"{btfPath} does not exist (kernel without BTF)");
            if (file.Length > MaxBtfBytes) return new DropReasonNames([], $"{btfPath} is larger than {MaxBtfBytes} bytes");
            return FromBtf(File.ReadAllBytes(btfPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new DropReasonNames([], $"{btfPath}: {e.Message}");
        }
    }

    public static DropReasonNames FromBtf(ReadOnlySpan<byte> btf)
    {
        var members = BtfEnumReader.Find(btf, "skb_drop_reason", out string? error);
        var names = new Dictionary<uint, string>();
        if (members is null) return new DropReasonNames(names, error);
        foreach (var (name, value) in members)
        {
            if (value < 0 || value > uint.MaxValue) continue;
            names.TryAdd((uint)value, name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : name);
        }
        return new DropReasonNames(names, null);
    }

    /// <summary>The reason's name; the same string instance every time, so reporting a drop allocates no text.</summary>
    public string NameOf(uint reason)
    {
        if (_names.TryGetValue(reason, out string? name)) return name;
        if (!_unknown.TryGetValue(reason, out name))
        {
            name = "reason " + reason.ToString(CultureInfo.InvariantCulture);
            if (_unknown.Count < 1024) _unknown[reason] = name;
        }
        return name;
    }
}
