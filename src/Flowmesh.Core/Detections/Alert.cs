using System.Security.Cryptography;
using System.Text;
using Flowmesh.Core.Views;

namespace Flowmesh.Core.Detections;

/// <summary>
/// A detection with its evidence. <see cref="Id"/> is stable: the same kind, subject and dedup period
/// (<see cref="DetectionOptions.DedupInterval"/>) give the same id on every node and every evaluation, so repeated
/// detections of one event collapse into one entry (<see cref="AlertLog"/>).
/// </summary>
/// <param name="Confirmed">True when the lower bound of the deciding number reaches the threshold: the alert holds even in the worst case of the sketch error.</param>
/// <param name="ObservedBy">Origins whose own records show the subject (best effort per origin).</param>
/// <param name="ContributingOrigins">Every origin whose records were merged into the window that raised it.</param>
/// <param name="CoverageSummary">The window's coverage in words ("9 of 10 origins, newest data 4 s old, 1 missing").</param>
/// <param name="Caveats">The window's caveats (incomplete coverage, capture loss, conflicts).</param>
public sealed record Alert(
    string Id,
    AlertKind Kind,
    string Subject,
    ViewWindow Window,
    IReadOnlyList<AlertEvidence> Evidence,
    bool Confirmed,
    IReadOnlyList<string> ObservedBy,
    IReadOnlyList<string> ContributingOrigins,
    string CoverageSummary,
    Caveats Caveats,
    string Message)
{
    /// <summary>The program behind a scan, as its PC's records name it: "nmap (pid 4242, user alice) on pc-17"; null: not known.</summary>
    public string? Program { get; init; }

    /// <summary>32 hex digits of SHA-256("kind|subject|start of the dedup period containing the window end").</summary>
    public static string StableId(AlertKind kind, string subject, long windowEndMicros, TimeSpan dedupInterval)
    {
        long period = Math.Max(1, UnixMicros.FromDuration(dedupInterval));
        long episode = Epochs.EpochRollup.AlignDown(windowEndMicros, period);
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}|{subject}|{episode}"));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
