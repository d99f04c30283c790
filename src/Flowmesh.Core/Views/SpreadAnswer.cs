using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// A key with a large fan-out or fan-in over the merged window. Spread's bound is 3 x 1.04/√64 of the estimate plus
/// the sketch's detection floor (docs/epoch-records.md). ObservedBy lists the origins whose own records show the key.
/// </summary>
public sealed record SpreadItem(string Label, TrafficKey Key, Measured Spread, IReadOnlyList<string> ObservedBy);

/// <summary>
/// Keys whose spread estimate reaches Threshold, largest first. DetectionFloor is the noise level of the merged
/// sketch: keys below about twice it are not reliably found.
/// </summary>
public sealed record SpreadAnswer(SpreadKind Kind, double Threshold, double DetectionFloor, IReadOnlyList<SpreadItem> Items, ViewCoverage Coverage);
