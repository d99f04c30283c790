using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flowmesh.Capture.Tests.Ebpf;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// One iperf3 TCP run from <see cref="TcpStatsNamespaces.Client"/> to <see cref="TcpStatsNamespaces.Server"/> with a fixed
/// client port, what its JSON says about the sender stream, and the RTTs <c>ss -ti</c> showed for the same socket while it ran.
/// </summary>
internal sealed partial record IperfRun(int ClientPort, long MinRttMicros, long MaxRttMicros, long MeanRttMicros, long Retransmits, IReadOnlyList<long> SsRttMicros)
{
    public static IperfRun Run(int serverPort, int clientPort, int seconds, string serverAddress = TcpStatsNamespaces.ServerV4, string clientAddress = TcpStatsNamespaces.ClientV4)
    {
        using var server = TcpStatsNamespaces.StartIn(TcpStatsNamespaces.Server, "iperf3", "-s", "-1", "-p", P(serverPort));
        try
        {
            WaitForListener(serverPort);
            using var client = TcpStatsNamespaces.StartIn(TcpStatsNamespaces.Client, "iperf3", "-c", serverAddress, "-p", P(serverPort),
                "--cport", P(clientPort), "-t", P(seconds), "-i", "0.1", "-J");
            Task<string> output = client.StandardOutput.ReadToEndAsync();
            var ss = new List<long>();
            while (!client.WaitForExit(150))
            {
                var result = TcpStatsNamespaces.Exec(TcpStatsNamespaces.Client, TimeSpan.FromSeconds(10), "ss", "-tin", "src", clientAddress.Contains(':', StringComparison.Ordinal) ? $"[{clientAddress}]:{clientPort}" : $"{clientAddress}:{clientPort}");
                foreach (Match match in SsRtt().Matches(result.Output))
                    ss.Add((long)Math.Round(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * 1000));
            }
            if (client.ExitCode != 0) throw new InvalidOperationException($"iperf3 client failed: {output.Result} {client.StandardError.ReadToEnd()}");
            using var json = JsonDocument.Parse(output.Result);
            JsonElement sender = json.RootElement.GetProperty("end").GetProperty("streams")[0].GetProperty("sender");
            int port = json.RootElement.GetProperty("start").GetProperty("connected")[0].GetProperty("local_port").GetInt32();
            return new IperfRun(port, sender.GetProperty("min_rtt").GetInt64(), sender.GetProperty("max_rtt").GetInt64(),
                sender.GetProperty("mean_rtt").GetInt64(), sender.GetProperty("retransmits").GetInt64(), ss);
        }
        finally
        {
            if (!server.WaitForExit(5000)) server.Kill(entireProcessTree: true);
        }
    }

    private static void WaitForListener(int port)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            if (TcpStatsNamespaces.Exec(TcpStatsNamespaces.Server, TimeSpan.FromSeconds(10), "ss", "-ltn", "sport", $"= :{port}").Output.Contains($":{port}", StringComparison.Ordinal))
                return;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"iperf3 -s did not listen on {port}");
    }

    private static string P(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"rtt:12.345/6.789": smoothed RTT / variance in ms with µs resolution (tcpi_rtt).</summary>
    [GeneratedRegex(@"\brtt:([0-9.]+)/")]
    private static partial Regex SsRtt();
}
