namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// eBPF capture cannot run here (not Linux, no privileges, kernel too old, libbpf missing, program rejected
/// by the verifier, ...). The caller should fall back to libpcap and may show <see cref="Reason"/>.
/// </summary>
public sealed class EbpfUnavailableException : Exception
{
    public EbpfUnavailableException(string reason, string? details = null)
        : base(details is null ? reason : reason + Environment.NewLine + details)
    {
        Reason = reason;
        Details = details;
    }

    /// <summary>One line, for "using libpcap because ...".</summary>
    public string Reason { get; }

    /// <summary>Supporting text, e.g. the kernel verifier's log; null when there is none.</summary>
    public string? Details { get; }
}
