using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Flowmesh.Agent.Tests.Metrics;

/// <summary>
/// A collector's OTLP/HTTP endpoint on loopback, for tests: every POST is kept (path, content type, decoded body) and
/// answered 200 with an empty ExportMetricsServiceResponse, as a collector does.
/// </summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public OtlpReceiver()
    {
        // HttpListener needs its port up front: take one the OS says is free.
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The collector's address, as a user gives it to --otlp (no path).</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public ConcurrentQueue<(string Path, string? ContentType, OtlpMetricsRequest Request)> Received { get; } = new();

    public ConcurrentQueue<string> Failures { get; } = new();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                Received.Enqueue((context.Request.Url!.AbsolutePath, context.Request.ContentType, OtlpMetricsRequest.Decode(body.ToArray())));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }
            catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException or IOException)
            {
                Failures.Enqueue(e.Message);
                context.Response.StatusCode = 400;
            }
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
