using System.Globalization;
using Flowmesh.Core.Views;

namespace Flowmesh.Core.Detections;

/// <summary>
/// One <see cref="AlertKind.CrossCheck"/> alert per origin the view's cross-check flagged (docs/cross-check.md), with the
/// evidence: what it reported of its traffic with the disputing peers and what they saw, in the disputed epochs. The
/// numbers are exact (both accounts are exact counters); the alert is confirmed because each dispute already exceeds
/// the stated tolerance.
/// </summary>
public static class CrossCheckAlerts
{
    public static IReadOnlyList<Alert> Of(GlobalView view, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        var cav = view.Coverage.Caveats;
        var alerts = new List<Alert>();
        foreach (var f in view.Coverage.CrossCheck.Flagged)
        {
            var evidence = new List<AlertEvidence>
            {
                new("packets it reported", Measured.Of(f.ReportedPackets, 0, cav), f.PeersSawPackets, "packets"),
                new("packets its peers saw", Measured.Of(f.PeersSawPackets, 0, cav), f.ReportedPackets, "packets"),
                new("bytes it reported", Measured.Of(f.ReportedBytes, 0, cav), f.PeersSawBytes, "B"),
                new("bytes its peers saw", Measured.Of(f.PeersSawBytes, 0, cav), f.ReportedBytes, "B"),
                new("disputed epochs", Measured.Of(f.Slots, 0, cav), 1, "epochs"),
            };
            string what = f.Verdict switch
            {
                CrossCheckVerdict.Hidden => "hides traffic",
                CrossCheckVerdict.Inflated => "inflates traffic",
                _ => "invents traffic",
            };
            string peers = string.Join(", ", f.DisputingPeers);
            string message = string.Create(CultureInfo.InvariantCulture,
                $"{f.Origin} {what}: it reported {f.ReportedPackets:N0} packets ({f.ReportedBytes:N0} B) of its traffic with {peers}, who saw {f.PeersSawPackets:N0} packets ({f.PeersSawBytes:N0} B), in {f.Slots} epoch{(f.Slots == 1 ? "" : "s")}")
                + (f.Verdict == CrossCheckVerdict.Hidden ? "; the view counts its peers' listings of those flows" : "");
            alerts.Add(new Alert(Alert.StableId(AlertKind.CrossCheck, f.Origin, view.Window.ToMicros, options.DedupInterval), AlertKind.CrossCheck, f.Origin,
                view.Window, evidence, true, [.. f.DisputingPeers], view.Coverage.ContributingOrigins, view.Coverage.Summary, cav, message));
        }
        return alerts;
    }
}
