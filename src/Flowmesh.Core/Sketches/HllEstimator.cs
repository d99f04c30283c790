namespace Flowmesh.Core.Sketches;

/// <summary>
/// Ertl's improved raw estimator for HyperLogLog registers (O. Ertl, "New cardinality estimation algorithms for
/// HyperLogLog sketches", arXiv 1702.01284, Algorithms 4 and 6). Chosen over HLL++ because it needs no
/// empirical bias tables, has no linear-counting switch point (so no error bump around 2.5m), and handles
/// saturated registers (value q+1) correctly, which matters for the 4-bit registers of <see cref="SpreadSketch"/>.
/// </summary>
internal static class HllEstimator
{
    private static readonly double AlphaInfinity = 1.0 / (2.0 * Math.Log(2.0));

    /// <param name="histogram">histogram[k] = number of registers holding k, for k = 0..q+1.</param>
    /// <param name="m">number of registers.</param>
    /// <param name="q">register values range over 0..q+1 (q = hash bits left after the register index).</param>
    public static double Estimate(ReadOnlySpan<int> histogram, int m, int q)
    {
        if (histogram[0] == m)
            return 0;
        double z = m * Tau(1.0 - (double)histogram[q + 1] / m);
        for (int k = q; k >= 1; k--)
            z = 0.5 * (z + histogram[k]);
        z += m * Sigma((double)histogram[0] / m);
        return AlphaInfinity * m * m / z;
    }

    private static double Sigma(double x)
    {
        if (x == 1.0)
            return double.PositiveInfinity;
        double y = 1.0;
        double z = x;
        double previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        } while (z != previous);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0)
            return 0.0;
        double y = 1.0;
        double z = 1.0 - x;
        double previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1.0 - x) * (1.0 - x) * y;
        } while (z != previous);
        return z / 3.0;
    }
}
