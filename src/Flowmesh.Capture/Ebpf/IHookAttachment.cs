namespace Flowmesh.Capture.Ebpf;

/// <summary>The flow program hooked into one interface's ingress and egress; Dispose unhooks it.</summary>
internal interface IHookAttachment : IDisposable
{
    EbpfAttachedInterface Interface { get; }
}
