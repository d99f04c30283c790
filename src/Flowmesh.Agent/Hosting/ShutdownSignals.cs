using System.Runtime.InteropServices;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// SIGTERM (systemd, kill) and SIGINT (Ctrl-C) ask the agent to stop cleanly: <see cref="Token"/> is cancelled and
/// the agent leaves the cluster, seals and closes. A second SIGINT while that runs exits at once with
/// <see cref="ForcedExitCode"/> (an operator who presses Ctrl-C twice means it). A repeated SIGTERM does not force
/// anything: supervisors and scripts resend it (a test harness stopping "everything" after stopping one node), the
/// clean stop is bounded anyway, and SIGKILL is the supervisor's way to insist.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    public const int ForcedExitCode = 130;

    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;

    public ShutdownSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
        ];
    }

    public CancellationToken Token => _requested.Token;

    /// <summary>Which signal asked first ("SIGTERM"), for the log line.</summary>
    public string? Reason { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // we exit ourselves, after cleaning up
        if (Interlocked.Increment(ref _signals) == 1)
        {
            Reason = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
            Console.Error.WriteLine($"flowmesh: {Reason}: leaving the cluster and stopping (Ctrl-C again to force)");
            _requested.Cancel();
            return;
        }
        if (context.Signal == PosixSignal.SIGTERM)
        {
            Console.Error.WriteLine("flowmesh: SIGTERM again: already stopping cleanly (Ctrl-C or SIGKILL forces)");
            return;
        }
        Console.Error.WriteLine("flowmesh: second signal: exiting now without a clean stop");
        Environment.Exit(ForcedExitCode);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _requested.Dispose();
    }
}
