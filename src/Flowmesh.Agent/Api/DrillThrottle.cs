using System.Diagnostics;

namespace Flowmesh.Agent.Api;

/// <summary>
/// How many drill-downs the API starts: each asks every alive member over the network for its exact flows, so a
/// page or script looping over GET /api/v1/flows would make the whole cluster scan its flow logs. At most
/// <c>concurrent</c> run at once, and they start at <c>perSecond</c> on average with bursts of <c>burst</c> (a person
/// clicking through talkers stays far below). A refused drill is a 429; <see cref="Refused"/> counts them.
/// </summary>
internal sealed class DrillThrottle(int concurrent = DrillThrottle.DefaultConcurrent, double perSecond = DrillThrottle.DefaultPerSecond, int burst = DrillThrottle.DefaultBurst)
{
    public const int DefaultConcurrent = 2;
    public const double DefaultPerSecond = 1;
    public const int DefaultBurst = 10;

    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _tokens = burst;
    private double _lastSeconds;
    private int _running;
    private long _refused;

    public int Concurrent => concurrent;
    public double PerSecond => perSecond;
    public int Burst => burst;
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Null when the drill may start (call <see cref="Done"/> after it); otherwise why not.</summary>
    public string? TryStart()
    {
        lock (_gate)
        {
            double now = _clock.Elapsed.TotalSeconds;
            _tokens = Math.Min(burst, _tokens + (now - _lastSeconds) * perSecond);
            _lastSeconds = now;
            string? why = null;
            if (_running >= concurrent) why = $"{concurrent} drill-downs are already running; wait for them";
            else if (_tokens < 1) why = $"more than {burst} drill-downs in a burst (at most {perSecond:0.##} per second on average); try again in a few seconds";
            if (why is not null)
            {
                _refused++;
                return why;
            }
            _tokens -= 1;
            _running++;
            return null;
        }
    }

    public void Done()
    {
        lock (_gate) _running--;
    }
}
