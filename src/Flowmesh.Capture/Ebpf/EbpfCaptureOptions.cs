namespace Flowmesh.Capture.Ebpf;

/// <summary>What <see cref="EbpfFlowCollector.Open"/> loads and where it attaches.</summary>
public sealed record EbpfCaptureOptions
{
    /// <summary>Interfaces to watch; null means every interface that is up, except loopback.</summary>
    public IReadOnlyList<string>? Interfaces { get; init; }

    /// <summary>
    /// Flow map capacity: distinct 5-tuples the kernel can hold between two drains. When it is full, packets
    /// of new flows are counted in <see cref="KernelCounters.MapFullMisses"/> instead. The map allocates
    /// entries as flows appear (about 250 bytes each), so capacity costs memory only when used.
    /// </summary>
    public int MaxFlows { get; init; } = DefaultMaxFlows;

    /// <summary>The default <see cref="MaxFlows"/>: FLOWMESH_DEFAULT_MAX_FLOWS of src/ebpf/flowmesh_maps.h (LayoutAgreementTests checks they agree).</summary>
    public const int DefaultMaxFlows = 65536;

    public EbpfAttachMode AttachMode { get; init; } = EbpfAttachMode.Auto;

    /// <summary>The compiled flow program; by default flowmesh.bpf.o next to the Flowmesh assemblies.</summary>
    public string ObjectPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "flowmesh.bpf.o");
}
