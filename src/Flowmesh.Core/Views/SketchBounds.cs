using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Views;

/// <summary>
/// The one error-bound policy for answers read from sketches (docs/sketches.md): every view answer, and so every API,
/// CLI and detection number, takes its bound from here. Top lists need no policy of their own: Space-Saving gives
/// hard bounds, reported with <see cref="Measured.Between"/>.
/// </summary>
internal static class SketchBounds
{
    /// <summary>
    /// A sparse HyperLogLog keeps every hash, so its count is exact up to hash collisions (±1); a dense one is within
    /// three standard errors of the truth.
    /// </summary>
    public static Measured Distinct(HyperLogLog hll, Caveats caveats)
    {
        double estimate = hll.Estimate();
        return hll.IsSparse
            ? Measured.Of(Math.Round(estimate), 1, caveats)
            : Measured.Of(estimate, 3 * hll.RelativeStandardError * estimate, caveats);
    }

    /// <summary>A spread estimate: three bucket standard errors relative to it, plus the detection floor (the noise every bucket carries).</summary>
    public static Measured Spread(SpreadSketch sketch, double estimate, Caveats caveats) =>
        Measured.Of(estimate, 3 * sketch.BucketRelativeStandardError * estimate + sketch.DetectionFloor, caveats);

    /// <summary>The default spread threshold: twice the detection floor (keys reliably found), and never below 2.</summary>
    public static double DefaultSpreadMinimum(SpreadSketch sketch) => Math.Max(2, 2 * sketch.DetectionFloor);
}
