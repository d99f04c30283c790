using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// One entry of a top list. For <see cref="TopKind.Ports"/> only Key.Protocol and Key.DestinationPort (the responder
/// port) mean something; Label reads "tcp/443". Share is the weight as a fraction of the window's total, with the
/// same relative bound.
/// </summary>
public sealed record TopItem(string Label, TrafficKey Key, Measured Weight, Measured Share);

/// <summary>
/// The heaviest keys of a window, heaviest first. Every key's true weight lies in [Weight.Lower, Weight.Upper]; a
/// key that is not listed weighs at most <see cref="UnlistedBound"/>. Total is the exact weight of all covered traffic.
/// </summary>
public sealed record TopAnswer(TopKind Kind, TrafficMeasure Measure, IReadOnlyList<TopItem> Items, Measured Total, double UnlistedBound, ViewCoverage Coverage);
