using System.Runtime.InteropServices;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// SIGTERM (systemd, kill) and SIGINT (Ctrl-C) ask the agent to stop cleanly: <see cref="Token"/> is cancelled and
/// the agent leaves the cluster, seals and closes. A second signal while that runs exits at once with
/// <see cref="ForcedExitCode"/> (an operator who presses Ctrl-C twice means it).
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
            Console.Error.WriteLine($"flowmesh: {Reason}: leaving the cluster and stopping (signal again to force)");
            _requested.Cancel();
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
