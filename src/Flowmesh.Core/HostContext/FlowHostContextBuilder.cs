namespace Flowmesh.Core.HostContext;

/// <summary>Collects the providers' parts for one flow; reused by <see cref="FlowContextResolver"/> across flows.</summary>
public sealed class FlowHostContextBuilder
{
    private readonly List<DropReasonCount> _drops = [];

    public ProcessIdentity? Process { get; set; }
    public TcpPathStats? Tcp { get; set; }
    public string? DnsName { get; set; }

    public void AddDrop(string reason, long packets) => _drops.Add(new DropReasonCount(reason, packets));

    public void Reset()
    {
        Process = null;
        Tcp = null;
        DnsName = null;
        _drops.Clear();
    }

    /// <summary>The context, or null when no provider knew anything.</summary>
    public FlowHostContext? Build() =>
        Process is null && Tcp is null && DnsName is null && _drops.Count == 0
            ? null
            : new FlowHostContext { Process = Process, Tcp = Tcp, DnsName = DnsName, Drops = _drops.Count == 0 ? [] : _drops.ToArray() };
}
