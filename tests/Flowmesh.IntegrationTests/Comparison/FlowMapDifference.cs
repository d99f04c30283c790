using System.Text;

namespace Flowmesh.IntegrationTests.Comparison;

/// <summary>
/// Where two <see cref="DirectedFlowMap"/>s disagree, worded for a human reading a failed test:
/// totals first, then the first mismatching keys in a stable order with both sides' numbers.
/// </summary>
public sealed class FlowMapDifference
{
    private FlowMapDifference(DirectedFlowMap expected, DirectedFlowMap actual, List<DirectedFlowKey> mismatches)
    {
        Expected = expected;
        Actual = actual;
        Mismatches = mismatches;
    }

    public DirectedFlowMap Expected { get; }
    public DirectedFlowMap Actual { get; }
    public IReadOnlyList<DirectedFlowKey> Mismatches { get; }
    public bool IsEmpty => Mismatches.Count == 0;

    public static FlowMapDifference Compute(DirectedFlowMap expected, DirectedFlowMap actual)
    {
        var keys = new HashSet<DirectedFlowKey>(expected.Totals.Keys);
        keys.UnionWith(actual.Totals.Keys);
        var mismatches = keys.Where(k => expected[k] != actual[k]).Order().ToList();
        return new FlowMapDifference(expected, actual, mismatches);
    }

    public string Describe(string expectedName, string actualName, int maxLines = 25)
    {
        var text = new StringBuilder();
        text.AppendLine($"{expectedName}: {Expected.Count} directed flows, {Expected.Packets} packets, {Expected.Bytes} bytes");
        text.AppendLine($"{actualName}: {Actual.Count} directed flows, {Actual.Packets} packets, {Actual.Bytes} bytes");
        if (IsEmpty)
        {
            text.AppendLine("no differences");
            return text.ToString();
        }
        int onlyExpected = Mismatches.Count(k => !Actual.ContainsKey(k));
        int onlyActual = Mismatches.Count(k => !Expected.ContainsKey(k));
        text.AppendLine($"{Mismatches.Count} directed flows differ: {onlyExpected} only in {expectedName}, {onlyActual} only in {actualName}, {Mismatches.Count - onlyExpected - onlyActual} with different totals");
        foreach (var key in Mismatches.Take(maxLines))
        {
            string frame = Expected.FirstFrame(key) is long f ? $" (first frame {f})" : "";
            text.AppendLine($"  {key}{frame}: {expectedName} {Expected[key]}, {actualName} {Actual[key]}");
        }
        if (Mismatches.Count > maxLines) text.AppendLine($"  ... and {Mismatches.Count - maxLines} more");
        return text.ToString();
    }
}
