namespace Flowmesh.Core.Views;

/// <summary>
/// A number as the global view reports it: the value, the absolute error bound in the same unit (the truth over
/// the covered traffic lies in [Lower, Upper]) and the caveats that qualify it.
/// </summary>
public readonly record struct Measured(double Value, double ErrorBound, Caveats Caveats)
{
    public double Lower => Math.Max(0, Value - ErrorBound);
    public double Upper => Value + ErrorBound;

    /// <summary>True only when the number is exact over complete coverage: the only case a UI may print it plainly.</summary>
    public bool IsExact => Caveats == Caveats.None;

    /// <summary>
    /// False when the system cannot stand behind the number: the bound swallows the value, coverage is incomplete, or
    /// records conflicted. Such numbers are shown as such (greyed, "≥", "?"), never as plain figures.
    /// </summary>
    public bool CanStandBehind => (Caveats & (Caveats.BoundExceedsValue | Caveats.IncompleteCoverage | Caveats.ConflictingRecords)) == 0;

    /// <summary>A value with its bound, qualified by the answer-wide caveats (coverage, capture loss, conflicts).</summary>
    public static Measured Of(double value, double errorBound, Caveats answerCaveats)
    {
        var caveats = answerCaveats & ~(Caveats.Estimated | Caveats.BoundExceedsValue);
        if (errorBound > 0) caveats |= Caveats.Estimated;
        if (errorBound > 0 && errorBound >= value) caveats |= Caveats.BoundExceedsValue;
        return new Measured(value, errorBound, caveats);
    }

    /// <summary>A value known to lie in [lower, upper]: reported as the midpoint ± half the width.</summary>
    public static Measured Between(double lower, double upper, Caveats answerCaveats) =>
        Of((lower + upper) / 2, (upper - lower) / 2, answerCaveats);

    public override string ToString() => ErrorBound > 0 ? $"{Value:0.##} ± {ErrorBound:0.##}" : $"{Value:0.##}";
}
