#if FLOWMESH_WINDOWS_SERVICE
using System.Runtime.Versioning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// `flowmesh agent` started by the Windows service manager (docs/windows.md): the agent runs on its own thread as in a
/// console, and the service's stop request does what SIGTERM does on Linux (leave the cluster, seal, close). An agent
/// that ends by itself (a start failure) stops the service with its exit code. Compiled only into Windows builds
/// (scripts/publish-windows.sh), the only ones that reference Microsoft.Extensions.Hosting.WindowsServices.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsAgentService(AgentOptions options, IHostApplicationLifetime lifetime) : BackgroundService
{
    public const string ServiceName = "Flowmesh";

    public static bool IsRunningAsService => Microsoft.Extensions.Hosting.WindowsServices.WindowsServiceHelpers.IsWindowsService();

    public static int Run(AgentOptions options)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddWindowsService(service => service.ServiceName = ServiceName);
        builder.Services.AddHostedService(provider => new WindowsAgentService(options, provider.GetRequiredService<IHostApplicationLifetime>()));
        using var host = builder.Build();
        host.Run();
        return Environment.ExitCode;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Factory.StartNew(() =>
    {
        Environment.ExitCode = AgentHost.Run(options, stoppingToken);
        lifetime.StopApplication();
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
#endif
