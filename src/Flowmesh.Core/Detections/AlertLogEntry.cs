namespace Flowmesh.Core.Detections;

/// <summary>One deduplicated alert: the latest evidence, when it was first and last raised (evaluation time), and how often.</summary>
public sealed record AlertLogEntry(Alert Alert, long FirstSeenMicros, long LastSeenMicros, int Evaluations);
