using Flowmesh.Core.Views;

namespace Flowmesh.Core.Detections;

/// <summary>One number behind an alert: its value with bound and caveats, the threshold it was compared with, and its unit.</summary>
public sealed record AlertEvidence(string Name, Measured Value, double Threshold, string Unit);
