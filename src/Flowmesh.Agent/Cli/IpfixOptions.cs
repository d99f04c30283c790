using System.CommandLine;
using System.Globalization;
using Flowmesh.Agent.Export;
using Flowmesh.Core.Export;

namespace Flowmesh.Agent.Cli;

/// <summary>The IPFIX export flags `flowmesh agent` and `flowmesh flows` share (docs/ipfix.md).</summary>
internal sealed class IpfixOptions
{
    private readonly Option<string[]> _destinations = new("--ipfix")
    {
        Description = "Export every flow by IPFIX to this collector: HOST:PORT or udp://HOST:PORT (UDP), tcp://HOST:PORT (TCP); port 4739 by default; repeatable.",
    };
    private readonly Option<string> _biflow = new("--ipfix-biflow")
    {
        Description = "on: one biflow record per flow (RFC 5103, reverse counters under PEN 29305); off: one record per direction, for collectors without biflow support.",
        DefaultValueFactory = _ => "on",
    };
    private readonly Option<int> _messageBytes = new("--ipfix-message-size")
    {
        Description = "Largest IPFIX message in bytes (the UDP payload; keep it under the path MTU).",
        DefaultValueFactory = _ => new IpfixEncoderOptions().MaxMessageBytes,
    };
    private readonly Option<double> _rate = new("--ipfix-rate")
    {
        Description = "UDP messages per second at most, so a burst does not overrun the collector's receive buffer (0: unpaced).",
        DefaultValueFactory = _ => new IpfixExportOptions().MessagesPerSecond,
    };

    public IpfixOptions()
    {
        _biflow.AcceptOnlyFromAmong("on", "off");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_destinations);
        command.Options.Add(_biflow);
        command.Options.Add(_messageBytes);
        command.Options.Add(_rate);
    }

    /// <summary>The collectors and the shared export settings, or null with the first problem in <paramref name="error"/>.</summary>
    public (IReadOnlyList<IpfixDestination> Destinations, IpfixExportOptions Options)? Parse(ParseResult parse, bool waitWhenFull, out string? error)
    {
        error = null;
        var destinations = new List<IpfixDestination>();
        foreach (string text in parse.GetValue(_destinations) ?? [])
        {
            if (IpfixDestination.Parse(text, out error) is not { } destination) return null;
            destinations.Add(destination);
        }
        var encoder = new IpfixEncoderOptions { Biflow = parse.GetValue(_biflow) != "off", MaxMessageBytes = parse.GetValue(_messageBytes) };
        if (encoder.Validate() is not null)
        {
            error = $"--ipfix-message-size must be between {IpfixEncoderOptions.MinMessageBytes} and {ushort.MaxValue}.";
            return null;
        }
        double rate = parse.GetValue(_rate);
        if (rate < 0 || double.IsNaN(rate) || double.IsInfinity(rate))
        {
            error = $"--ipfix-rate {rate.ToString(CultureInfo.InvariantCulture)} must be 0 (unpaced) or a positive number of messages per second.";
            return null;
        }
        return (destinations, new IpfixExportOptions { Encoder = encoder, MessagesPerSecond = rate, WaitWhenFull = waitWhenFull });
    }
}
