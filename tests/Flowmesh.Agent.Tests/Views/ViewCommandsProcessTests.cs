using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>The real `flowmesh` executable's view commands against the test server: exit codes, formats and messages.</summary>
public sealed class ViewCommandsProcessTests(ViewApiFixture fixture) : IClassFixture<ViewApiFixture>
{
    private string Agent => fixture.Http.BaseAddress!.ToString();

    [Fact]
    public async Task EachCommandAnswersInTheAskedFormat()
    {
        var top = await Run("top", "talkers", "--window", "5m", "--limit", "3", "--format", "csv", "--agent", Agent);
        Assert.Equal(0, top.Code);
        string[] lines = top.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("key,measure,value,error,lower,upper,exact,trusted,share,bytes,bytes_error,packets,packets_error", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("flowmesh: coverage: 4 of 5 origins", top.Err);

        var traffic = await Run("traffic", "--window", "1m", "--format", "table", "--agent", Agent);
        Assert.Equal(0, traffic.Code);
        Assert.StartsWith("bytes ≥", traffic.Out);
        Assert.Contains("coverage: 4 of 5 origins", traffic.Out);

        var matrix = await Run("matrix", "--by", "subnet/16", "--window", "1h", "--format", "json", "--agent", Agent);
        Assert.Equal(0, matrix.Code);
        Assert.Contains("\"by\":\"subnet/16\"", matrix.Out);

        var alerts = await Run("alerts", "--window", "15m", "--format", "table", "--agent", Agent);
        Assert.Equal(0, alerts.Code);
        Assert.Contains("hostScan  10.66.0.1", alerts.Out);
    }

    [Fact]
    public async Task UsageErrorsAndAMissingAgentAreClear()
    {
        var sideways = await Run("top", "sideways", "--agent", Agent);
        Assert.Equal(2, sideways.Code);

        var badWindow = await Run("alerts", "--window", "soon", "--agent", Agent);
        Assert.Equal(2, badWindow.Code);
        Assert.Contains("--window", badWindow.Err);

        var badBy = await Run("matrix", "--by", "subnet/99", "--agent", Agent);
        Assert.Equal(2, badBy.Code);
        Assert.Contains("subnet/N", badBy.Err);

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var none = await Run("top", "talkers", "--agent", $"http://127.0.0.1:{port}");
        Assert.Equal(3, none.Code);
        Assert.Contains($"no agent answers at http://127.0.0.1:{port}/", none.Err);
    }

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "flowmesh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
