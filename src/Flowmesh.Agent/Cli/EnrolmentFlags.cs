using System.CommandLine;
using Flowmesh.Agent.Hosting;

namespace Flowmesh.Agent.Cli;

/// <summary>The agent's enrolment flags (issue 16, docs/gossip-security.md "Enrolment").</summary>
internal sealed class EnrolmentFlags
{
    private readonly Option<string?> _certificate = new("--certificate")
    {
        Description = "This node's certificate bundle from 'flowmesh enroll' (key, certificate, authority). Default: a cluster authority in <data-dir>/ca, created on first run, certifies this node.",
    };

    private readonly Option<string?> _caCertificate = new("--ca-certificate")
    {
        Description = "The cluster authority's public key (ca.pem from 'flowmesh ca init'); its directory's 'revocations' file is watched. Default: the one in --certificate's bundle.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_certificate);
        command.Options.Add(_caCertificate);
    }

    public AgentOptions? Apply(ParseResult parse, AgentOptions options, out string? error)
    {
        error = null;
        var certificate = parse.GetValue(_certificate);
        var caCertificate = parse.GetValue(_caCertificate);
        if (certificate is { } c && c.Trim().Length == 0) error = "--certificate needs a file name.";
        else if (caCertificate is { } a && a.Trim().Length == 0) error = "--ca-certificate needs a file name.";
        else if (caCertificate is not null && certificate is null) error = "--ca-certificate needs --certificate (the bundle 'flowmesh enroll' wrote for this node).";
        if (error is not null) return null;
        return options with
        {
            Certificate = certificate is null ? null : Path.GetFullPath(certificate),
            CaCertificate = caCertificate is null ? null : Path.GetFullPath(caCertificate),
        };
    }
}
