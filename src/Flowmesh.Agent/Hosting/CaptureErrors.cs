namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Exceptions caught on the capture thread, counted per <see cref="CaptureErrorStage"/>. The first one of each
/// stage is logged with what it concerned (a flow key, an epoch); later ones only once a minute with the count since,
/// so a bug hit by every packet cannot flood the journal. Thread-safe counts; logging happens on the capture thread.
/// </summary>
internal sealed class CaptureErrors(TextWriter log)
{
    private static readonly CaptureErrorStage[] Stages = Enum.GetValues<CaptureErrorStage>();
    private static readonly long LogIntervalTicks = TimeSpan.FromMinutes(1).Ticks;

    private readonly long[] _counts = new long[Stages.Length];
    private readonly long[] _loggedCount = new long[Stages.Length];
    private readonly long[] _loggedAt = new long[Stages.Length];

    public long this[CaptureErrorStage stage] => Interlocked.Read(ref _counts[(int)stage]);

    public long Total => Stages.Sum(s => this[s]);

    /// <summary>Label value of a stage in metrics and JSON: snake_case ("flow_log"), as every other reason label.</summary>
    public static string Label(CaptureErrorStage stage) => Metrics.MetricLabels.SnakeCase(stage.ToString());

    public static IEnumerable<string> Labels => Stages.Select(Label);

    public IReadOnlyDictionary<string, long> Snapshot() => Stages.ToDictionary(Label, s => this[s], StringComparer.Ordinal);

    /// <summary>A flow delta as an error message names it.</summary>
    public static string Describe(in Core.Flows.FlowTableDelta delta) =>
        $"the delta of flow (protocol {delta.Protocol}) {delta.SourceAddress}:{delta.SourcePort} > {delta.DestinationAddress}:{delta.DestinationPort} " +
        $"({delta.Packets}/{delta.Bytes} packets/bytes forward, {delta.ReversePackets}/{delta.ReverseBytes} reverse)";

    /// <param name="subject">What was dropped, for the log ("the delta of tcp 10.0.0.2:40000 > 10.0.0.1:7946").</param>
    public void Count(CaptureErrorStage stage, Exception error, string subject)
    {
        int i = (int)stage;
        long count = Interlocked.Increment(ref _counts[i]);
        long now = Environment.TickCount64 * TimeSpan.TicksPerMillisecond;
        if (count > 1 && now - _loggedAt[i] < LogIntervalTicks) return;
        long since = count - _loggedCount[i];
        _loggedCount[i] = count;
        _loggedAt[i] = now;
        string repeat = count == 1 ? "" : $" ({since} {Label(stage)} errors since the last report, {count} in all)";
        log.WriteLine($"flowmesh: capture error at {Label(stage)}{repeat}: {error.GetType().Name}: {error.Message}; dropped {subject}, capture goes on");
    }
}
