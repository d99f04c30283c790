namespace Flowmesh.Capture.Ebpf;

/// <summary>An interface the flow program watches, and how it is hooked in (<see cref="EbpfAttachMode.Tcx"/> or <see cref="EbpfAttachMode.Netlink"/>).</summary>
public sealed record EbpfAttachedInterface(string Name, int Index, EbpfAttachMode Mode);
