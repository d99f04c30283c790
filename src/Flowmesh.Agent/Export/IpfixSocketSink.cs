using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Core.Export;

namespace Flowmesh.Agent.Export;

/// <summary>
/// Sends IPFIX messages to one collector over UDP (one datagram per message) or TCP (a stream of messages, RFC 7011
/// 10.4). A collector that is down costs a counter, never an exception or a wait: UDP sends on (a refused datagram is
/// counted), TCP drops what it cannot send and tries to connect again after <see cref="ReconnectInterval"/>.
/// </summary>
/// <remarks>
/// UDP is paced by a token bucket (<see cref="IpfixExportOptions.MessagesPerSecond"/>, bursts of
/// <see cref="IpfixExportOptions.BurstMessages"/>): a capture file read at full speed would otherwise fire thousands of
/// datagrams at once, and a collector's default receive buffer (212,992 bytes on Linux, about 90 such datagrams)
/// drops what overflows it without telling anyone. TCP needs no pacing: its flow control is the collector's own.
/// </remarks>
internal sealed class IpfixSocketSink : IIpfixMessageSink, IDisposable
{
    public static readonly TimeSpan ReconnectInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    private readonly IpfixDestination _destination;
    private readonly IpfixExportOptions _options;
    private readonly IpfixExportCounters _counters;
    private readonly Action<string> _report;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Socket? _socket;
    private bool _newSession;
    private TimeSpan _nextConnect = TimeSpan.Zero;
    private double _tokens;
    private TimeSpan _tokensAt;
    private bool _reportedFailure;

    public IpfixSocketSink(IpfixDestination destination, IpfixExportOptions options, IpfixExportCounters counters, Action<string> report)
    {
        _destination = destination;
        _options = options;
        _counters = counters;
        _report = report;
        _tokens = options.BurstMessages;
    }

    /// <summary>
    /// True when messages can be sent now: UDP always (once its socket exists), TCP while connected, connecting first
    /// when the last attempt is <see cref="ReconnectInterval"/> old.
    /// </summary>
    public bool Ready()
    {
        if (_socket is not null) return true;
        if (_clock.Elapsed < _nextConnect) return false;
        _nextConnect = _clock.Elapsed + ReconnectInterval;
        try
        {
            _socket = Open();
            _newSession = true;
            if (_reportedFailure) _report($"flowmesh: IPFIX export to {_destination} works again");
            _reportedFailure = false;
            return true;
        }
        catch (SocketException e)
        {
            _counters.ConnectFailed();
            Fail($"cannot reach the collector: {e.Message}");
            return false;
        }
    }

    /// <summary>True once after a (re)connect: the encoder starts a new session (templates first, sequence 0).</summary>
    public bool TakeNewSession()
    {
        bool fresh = _newSession;
        _newSession = false;
        return fresh;
    }

    public void Send(ReadOnlySpan<byte> message, int dataRecords)
    {
        if (_socket is null)
        {
            _counters.SendFailed(dataRecords);
            return;
        }
        if (!_destination.Tcp) Pace();
        try
        {
            if (_destination.Tcp)
            {
                while (message.Length > 0) message = message[_socket.Send(message)..];
            }
            else
            {
                _socket.Send(message);
            }
            _counters.Sent(dataRecords);
        }
        catch (SocketException e)
        {
            // UDP: the previous datagram came back refused (nobody listens); the socket stays and sends on.
            _counters.SendFailed(dataRecords);
            if (_destination.Tcp)
            {
                _socket.Dispose();
                _socket = null;
            }
            Fail(e.Message);
        }
    }

    private Socket Open()
    {
        IPAddress address = IPAddress.TryParse(_destination.Host, out var parsed)
            ? parsed
            : Dns.GetHostAddresses(_destination.Host).FirstOrDefault() ?? throw new SocketException((int)SocketError.HostNotFound);
        var endpoint = new IPEndPoint(address, _destination.Port);
        var socket = _destination.Tcp
            ? new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendTimeout = (int)ConnectTimeout.TotalMilliseconds }
            : new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (_destination.Tcp)
            {
                using var timeout = new CancellationTokenSource(ConnectTimeout);
                socket.ConnectAsync(endpoint, timeout.Token).AsTask().GetAwaiter().GetResult();
            }
            else
            {
                socket.Connect(endpoint); // connected UDP: a refused datagram surfaces as an error on a later send
            }
            return socket;
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the token bucket holds a message's worth.</summary>
    private void Pace()
    {
        if (_options.MessagesPerSecond <= 0) return;
        while (true)
        {
            TimeSpan now = _clock.Elapsed;
            _tokens = Math.Min(_options.BurstMessages, _tokens + (now - _tokensAt).TotalSeconds * _options.MessagesPerSecond);
            _tokensAt = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return;
            }
            Thread.Sleep(TimeSpan.FromSeconds((1 - _tokens) / _options.MessagesPerSecond));
        }
    }

    private void Fail(string reason)
    {
        // Said once per outage: a collector that is down for an hour must not fill the log.
        if (_reportedFailure) return;
        _reportedFailure = true;
        _report($"flowmesh: IPFIX export to {_destination} failing ({reason}); counting what is lost until it works again");
    }

    public void Dispose() => _socket?.Dispose();
}
