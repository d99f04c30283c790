namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// The kernel flow maps (src/ebpf/flowmesh_maps.h): the one-slot array of maps that names the flow hash the program
/// adds into, and the two flow hashes that take turns in it.
/// </summary>
internal readonly record struct FlowMapFds(int ActiveSlot, int First, int Second);
