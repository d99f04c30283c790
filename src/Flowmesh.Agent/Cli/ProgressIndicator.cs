using System.Globalization;
using Flowmesh.Agent.Output;
using Flowmesh.Capture;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// A one-line progress display on stderr, redrawn a few times a second, for people watching a
/// long file being read. Shown only when stderr is a terminal and the work lasts over a second.
/// </summary>
internal sealed class ProgressIndicator : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly ICaptureSource _source;
    private readonly DateTime _started = DateTime.UtcNow;
    private readonly Timer? _timer;
    private bool _drawn;

    public ProgressIndicator(ICaptureSource source, bool enabled)
    {
        _source = source;
        if (enabled) _timer = new Timer(_ => Draw(), null, TimeSpan.FromSeconds(1), Interval);
    }

    public static bool ShouldShow => !Console.IsErrorRedirected;

    private void Draw()
    {
        var stats = _source.Statistics;
        double seconds = (DateTime.UtcNow - _started).TotalSeconds;
        string rate = HumanUnits.Scaled(stats.Frames / Math.Max(seconds, 0.001), "packets/s");
        string line = stats.BytesTotal is long total && total > 0 && stats.BytesConsumed is long done
            ? string.Create(CultureInfo.InvariantCulture, $"  {100.0 * done / total,5:0.0} %  {HumanUnits.Count(stats.Frames)} packets  {rate}")
            : $"  {HumanUnits.Count(stats.Frames)} packets  {rate}";
        lock (this)
        {
            Console.Error.Write("\r" + line.PadRight(60));
            _drawn = true;
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        lock (this)
        {
            if (_drawn) Console.Error.Write("\r" + new string(' ', 60) + "\r");
        }
    }
}
