namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>Which hook recorded a socket's owner: <c>enum flowmesh_process_hook</c> in src/ebpf/process_maps.h.</summary>
internal enum KernelProcessHook : byte
{
    TcpConnect = 1,
    TcpListen = 3,
    Send = 4,
    Receive = 5,
    RawSend = 6,
    PacketSend = 7,
}
