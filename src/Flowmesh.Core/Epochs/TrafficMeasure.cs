namespace Flowmesh.Core.Epochs;

/// <summary>The weight a top-talker list ranks by.</summary>
public enum TrafficMeasure
{
    Bytes = 0,
    Packets = 1,
}
