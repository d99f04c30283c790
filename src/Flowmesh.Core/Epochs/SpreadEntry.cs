namespace Flowmesh.Core.Epochs;

/// <summary>
/// A fan-out or fan-in answer. ErrorBound = 3 x 1.04/sqrt(b) x Estimate + the sketch's detection floor (three
/// standard errors of a bucket's own estimate and of the background subtracted from it, docs/epoch-records.md).
/// </summary>
public readonly record struct SpreadEntry(SpreadKind Kind, TrafficKey Key, double Estimate, double ErrorBound);
