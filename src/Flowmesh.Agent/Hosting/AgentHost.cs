namespace Flowmesh.Agent.Hosting;

/// <summary>
/// `flowmesh agent` from start to exit: start every part, run until SIGTERM/SIGINT, stop cleanly, exit 0. A start
/// failure exits with <see cref="ExitCodes.AgentFailed"/> and one line saying why.
/// </summary>
internal static class AgentHost
{
    /// <summary>In this process: as a Windows service when the service manager started it (Windows builds), else in the foreground.</summary>
    public static int RunAsServiceOrHere(AgentOptions options)
    {
#if FLOWMESH_WINDOWS_SERVICE
        if (OperatingSystem.IsWindows() && WindowsAgentService.IsRunningAsService) return WindowsAgentService.Run(options);
#endif
        return Run(options, CancellationToken.None);
    }

    /// <param name="stop">Stops the agent as SIGTERM does (the Windows service's stop request).</param>
    public static int Run(AgentOptions options, CancellationToken stop)
    {
        using var signals = new ShutdownSignals();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(signals.Token, stop);
        var log = Console.Error;
        AgentRuntime runtime;
        try
        {
            runtime = AgentRuntime.StartAsync(options, log, stopping.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is AgentStartException or Enrolment.EnrolmentException)
        {
            log.WriteLine($"flowmesh: {e.Message}");
            return ExitCodes.AgentFailed;
        }
        catch (OperationCanceledException)
        {
            log.WriteLine("flowmesh: stopped while starting");
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException
            or System.Net.Sockets.SocketException or System.Security.Cryptography.CryptographicException)
        {
            // Unforeseen, but still a start failure with a reason rather than a stack trace (messages never hold keys).
            log.WriteLine($"flowmesh: cannot start: {e.GetType().Name}: {e.Message}");
            return ExitCodes.AgentFailed;
        }
        stopping.Token.WaitHandle.WaitOne();
        try
        {
            runtime.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            log.WriteLine($"flowmesh: error while stopping: {e.Message}");
            return ExitCodes.AgentFailed;
        }
        log.WriteLine($"flowmesh: agent {options.Name} stopped: {runtime.RecordsSealed} records sealed this run");
        return ExitCodes.Success;
    }
}
