using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>
/// The CLI's view commands: documents fetched from a real test server with the CLI's own client, written as table,
/// CSV and JSON; every printed number carries its bound and no inexact number is printed as exact.
/// </summary>
public sealed class ViewOutputTests(ViewApiFixture fixture) : IClassFixture<ViewApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> Fetch<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        var client = new AgentApiClient(fixture.Http.BaseAddress!, TimeSpan.FromSeconds(30));
        var (value, error) = await client.GetAsync(path, type, Ct);
        Assert.True(value is not null, error);
        return value!;
    }

    [Fact]
    public async Task TopTableShowsBoundsTotalsAndCoverage()
    {
        var top = await Fetch("api/v1/top?by=talkers&measure=bytes&limit=5&window=5m", ApiJsonContext.Default.TopResponse);
        var (text, notes) = Write((o, n) => ViewOutput.Top(o, n, OutputFormat.Table, top));
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["#", "Talker", "Bytes", "Share", "Packets"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(5 + 3, lines.Length);
        for (int i = 0; i < 5; i++)
        {
            var e = top.Entries[i];
            Assert.Contains(e.Key, lines[i + 1]);
            // Not exact (an origin is missing): shown with ≈ and its bound, or ≥, never plain.
            Assert.False(e.Exact);
            Assert.Contains(BoundedNumber.Format(e.Value, "B"), lines[i + 1]);
            Assert.Matches(e.Value.Error > 0 ? "≈[0-9.]+ [kMG]?B ±" : "≥[0-9.]+ [kMG]?B", lines[i + 1]);
            Assert.Matches(e.PacketsError > 0 ? "≈[0-9 ]+ ±" : "≥[0-9 ]+$", lines[i + 1]); // the other measure too
        }
        Assert.StartsWith("total ", lines[6]);
        Assert.Contains("any talker not listed ≤ ", lines[6]);
        Assert.StartsWith("coverage: 4 of 5 origins", lines[7]);
        Assert.Contains("missing: node-9", lines[7]);
        Assert.Equal("", notes);
    }

    [Fact]
    public async Task TopCsvCarriesEveryBoundAndJsonIsTheApiDocument()
    {
        var top = await Fetch("api/v1/top?by=pairs&measure=packets&limit=8&window=5m", ApiJsonContext.Default.TopResponse);
        var (csv, notes) = Write((o, n) => ViewOutput.Top(o, n, OutputFormat.Csv, top));
        string[] lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("key,measure,value,error,lower,upper,exact,trusted,share,bytes,bytes_error,packets,packets_error", lines[0]);
        Assert.Equal(top.Entries.Count + 1, lines.Length);
        for (int i = 0; i < top.Entries.Count; i++)
        {
            string[] cells = lines[i + 1].Split(',');
            var e = top.Entries[i];
            Assert.Equal(e.Key, cells[0]);
            Assert.Equal("packets", cells[1]);
            Assert.Equal(e.Value.Value, double.Parse(cells[2], CultureInfo.InvariantCulture));
            Assert.Equal(e.Value.Error, double.Parse(cells[3], CultureInfo.InvariantCulture));
            Assert.Equal(e.Value.Lower, double.Parse(cells[4], CultureInfo.InvariantCulture));
            Assert.Equal(e.Value.Upper, double.Parse(cells[5], CultureInfo.InvariantCulture));
            Assert.Equal("false", cells[6]);
        }
        Assert.StartsWith("flowmesh: coverage: 4 of 5 origins", notes); // the coverage goes beside the CSV, not into it

        var (json, _) = Write((o, n) => ViewOutput.Top(o, n, OutputFormat.Json, top));
        using var document = JsonDocument.Parse(json);
        Assert.Equal(top.Entries.Count, document.RootElement.GetProperty("entries").GetArrayLength());
        Assert.Equal(top.Entries[0].Key, document.RootElement.GetProperty("entries")[0].GetProperty("key").GetString());
    }

    [Fact]
    public async Task TrafficMatrixAndAlertsInEveryFormat()
    {
        var traffic = await Fetch("api/v1/traffic?window=5m", ApiJsonContext.Default.TrafficResponse);
        var (table, _) = Write((o, n) => ViewOutput.Traffic(o, n, OutputFormat.Table, traffic));
        // Exact over what arrived but an origin is missing: "≥", never a plain total.
        Assert.StartsWith($"bytes ≥{HumanUnits.Scaled(fixture.Traffic.Bytes, "B")}, packets ≥", table);
        Assert.Contains("coverage: 4 of 5 origins", table);
        var (csv, _) = Write((o, n) => ViewOutput.Traffic(o, n, OutputFormat.Csv, traffic));
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(30, rows.Count);
        Assert.Equal(fixture.Traffic.Bytes, rows.Sum(r => long.Parse(r[2], CultureInfo.InvariantCulture)));

        var matrix = await Fetch("api/v1/matrix?by=subnet%2F24&window=5m", ApiJsonContext.Default.MatrixResponse);
        var (matrixTable, _) = Write((o, n) => ViewOutput.Matrix(o, n, OutputFormat.Table, matrix));
        string[] matrixLines = matrixTable.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["From", "To", "Bytes", "Packets"], matrixLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(matrix.Cells.Count + 3, matrixLines.Length);
        Assert.All(matrixLines.Skip(1).Take(matrix.Cells.Count), l => Assert.Matches("[≈≥]", l));
        Assert.StartsWith("any cell not listed ≤ ", matrixLines[^2]);
        var (matrixCsv, _) = Write((o, n) => ViewOutput.Matrix(o, n, OutputFormat.Csv, matrix));
        Assert.StartsWith("from,to,bytes,bytes_error,packets,packets_error,exact,trusted\n", matrixCsv);

        var alerts = await Fetch("api/v1/alerts?window=15m", ApiJsonContext.Default.AlertsResponse);
        var (alertTable, _) = Write((o, n) => ViewOutput.Alerts(o, OutputFormat.Table, alerts));
        Assert.Contains("hostScan  10.66.0.1", alertTable);
        Assert.Matches("distinct hosts: ≈[0-9 ]+ hosts ±", alertTable);
        Assert.EndsWith($"{alerts.Alerts.Count} alert{(alerts.Alerts.Count == 1 ? "" : "s")}\n", alertTable);
        var (alertCsv, _) = Write((o, n) => ViewOutput.Alerts(o, OutputFormat.Csv, alerts));
        Assert.Contains(",hostScan,10.66.0.1,", alertCsv);
        var (alertJson, _) = Write((o, n) => ViewOutput.Alerts(o, OutputFormat.Json, alerts));
        Assert.Equal(alerts.Alerts.Count, JsonDocument.Parse(alertJson).RootElement.GetProperty("alerts").GetArrayLength());
    }

    [Theory]
    [InlineData(4.1e9, 12e6, false, true, false, "B", "≈4.10 GB ±12.0 MB")]
    [InlineData(4.1e9, 0, true, true, false, "B", "4.10 GB")]
    [InlineData(4.1e9, 0, false, false, true, "B", "≥4.10 GB")]
    [InlineData(300, 400, false, false, false, "B", "≈300 B ±400 B ?")]
    [InlineData(4812, 0, true, true, false, "hosts", "4 812 hosts")]
    public void NumbersAreNeverShownExactWhenTheyAreNot(double value, double error, bool exact, bool trusted, bool incomplete, string unit, string expected) =>
        Assert.Equal(expected, BoundedNumber.Format(value, error, exact, trusted, incomplete, unit));

    [Theory]
    [InlineData("5x", null, null, "--window")]
    [InlineData("5m", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "not both")]
    [InlineData(null, "2026-01-01T00:00:00Z", null, "go together")]
    [InlineData(null, "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", "before")]
    [InlineData(null, "soon", "2026-01-01T00:00:00Z", "--from")]
    public void BadWindowsAreUsageErrors(string? window, string? from, string? to, string message)
    {
        Assert.Null(ViewCommands.WindowQuery(window, from, to, out string? error));
        Assert.Contains(message, error);
    }

    [Fact]
    public void WindowsBecomeTheApiQuery()
    {
        Assert.Equal("window=5m", ViewCommands.WindowQuery(null, null, null, out _));
        Assert.Equal("window=24h", ViewCommands.WindowQuery("24h", null, null, out _));
        Assert.Equal("from=1700000000000000&to=1700000060000000", ViewCommands.WindowQuery(null, "2023-11-14T22:13:20Z", "2023-11-14T22:14:20Z", out _));
    }

    [Fact]
    public async Task NoAgentIsAClearError()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var client = new AgentApiClient(new Uri($"http://127.0.0.1:{port}/"), TimeSpan.FromSeconds(5));
        var (value, error) = await client.GetAsync("api/v1/top?by=talkers", ApiJsonContext.Default.TopResponse, Ct);
        Assert.Null(value);
        Assert.StartsWith($"no agent answers at http://127.0.0.1:{port}/", error);

        var bad = new AgentApiClient(fixture.Http.BaseAddress!, TimeSpan.FromSeconds(5));
        var (_, badError) = await bad.GetAsync("api/v1/top?by=nothing", ApiJsonContext.Default.TopResponse, Ct);
        Assert.Contains("answered 400 Bad Request: by='nothing' is not one of talkers", badError);
    }

    private static (string Output, string Notes) Write(Action<TextWriter, TextWriter> write)
    {
        using var output = new StringWriter();
        using var notes = new StringWriter();
        write(output, notes);
        return (output.ToString(), notes.ToString());
    }
}
