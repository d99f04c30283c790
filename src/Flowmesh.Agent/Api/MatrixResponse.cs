namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/matrix: traffic between blocks; any cell not listed carries at most <c>unattributedBytes</c>.</summary>
internal sealed record MatrixResponse(
    string By,
    int Ipv4Prefix,
    int Ipv6Prefix,
    string Basis,
    WindowDocument Window,
    CoverageDocument Coverage,
    IReadOnlyList<MatrixCell> Cells,
    double UnattributedBytes,
    MeasuredDocument Unattributed);

internal sealed record MatrixCell(string From, string To, double Bytes, double BytesError, double Packets, double PacketsError, bool Exact, bool Trusted);
