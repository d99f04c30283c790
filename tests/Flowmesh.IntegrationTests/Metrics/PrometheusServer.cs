using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Metrics;

/// <summary>
/// Debian's real Prometheus, scraping the given targets every second, with its own temporary storage on a free
/// loopback port. Killed with its storage on dispose.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly TemporaryDirectory _directory;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, TemporaryDirectory directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    /// <param name="bearerTokenFile">Sent with every scrape (agents whose API listens beyond loopback want their token).</param>
    public static PrometheusServer Start(string binary, IEnumerable<string> targets, string? bearerTokenFile = null)
    {
        var directory = new TemporaryDirectory();
        string config = Path.Combine(directory.Path, "prometheus.yml");
        File.WriteAllText(config, $$"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: flowmesh
                metrics_path: /metrics
            {{(bearerTokenFile is null ? "" : $"    authorization:\n      type: Bearer\n      credentials_file: {bearerTokenFile}\n")}}    static_configs:
                  - targets: [{{string.Join(", ", targets.Select(t => $"\"{t}\""))}}]
            """);
        int port = FreePort();
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[]
        {
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory.Path, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        }) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        // Drained so a chatty Prometheus never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>Runs an instant query; the number of series in the result, or null while Prometheus is not answering.</summary>
    public async Task<int?> SeriesCountAsync(string promQl, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync($"api/v1/query?query={Uri.EscapeDataString(promQl)}", cancellationToken);
            // While its storage starts, Prometheus answers 503 "Service Unavailable" in plain text: not answering yet.
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable) return null;
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            if (json.RootElement.GetProperty("status").GetString() != "success")
                throw new InvalidOperationException($"Prometheus refused {promQl}: {json.RootElement}");
            return json.RootElement.GetProperty("data").GetProperty("result").GetArrayLength();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _http.Dispose();
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(5000);
        _process.Dispose();
        _directory.Dispose();
    }
}
