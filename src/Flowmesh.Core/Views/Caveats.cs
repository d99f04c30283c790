namespace Flowmesh.Core.Views;

/// <summary>
/// Why a number must not be shown as exact. <see cref="None"/> is the only value a UI may print without qualification.
/// </summary>
[Flags]
public enum Caveats
{
    None = 0,
    /// <summary>The number comes from a sketch: the truth lies within ± ErrorBound, but it is not exact.</summary>
    Estimated = 1,
    /// <summary>The bound is at least as large as the value: the number says little more than "somewhere in [0, 2 x value]".</summary>
    BoundExceedsValue = 2,
    /// <summary>An expected origin has no record for some settled epoch of the window: traffic is missing, the truth may be higher.</summary>
    IncompleteCoverage = 4,
    /// <summary>A contributing record reports kernel drops: packets were lost before they were counted.</summary>
    CaptureLoss = 8,
    /// <summary>Two different records claimed one epoch of one origin; one was chosen deterministically, the other ignored.</summary>
    ConflictingRecords = 16,
}
