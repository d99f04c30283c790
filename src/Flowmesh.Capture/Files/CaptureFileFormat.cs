namespace Flowmesh.Capture.Files;

public enum CaptureFileFormat
{
    Pcap,
    PcapNg,
}
