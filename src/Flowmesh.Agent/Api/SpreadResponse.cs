namespace Flowmesh.Agent.Api;

/// <summary>
/// Fan-out (<c>direction</c> "fanout": hosts per source, ports per pair) or fan-in ("fanin": sources per destination):
/// keys whose spread reaches <c>threshold</c>, largest first per kind. Written by <c>flowmesh query --fanout/--fanin</c>.
/// </summary>
internal sealed record SpreadResponse(string Direction, WindowDocument Window, CoverageDocument Coverage, IReadOnlyList<SpreadEntry> Entries);

/// <summary>
/// One key: its spread (<c>value</c> with its bound) in <c>unit</c> (hosts, ports or sources). Keys below about twice
/// <c>detectionFloor</c> are not reliably found; <c>origins</c> are the origins whose own records show the key.
/// </summary>
internal sealed record SpreadEntry(string Key, string Kind, string Unit, MeasuredDocument Value, double Threshold, double DetectionFloor, IReadOnlyList<string> Origins);
