namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/matrix: traffic between blocks; any cell not listed carries at most <c>unattributedBytes</c>.</summary>
internal sealed record MatrixResponse(
    string By,
    int Ipv4Prefix,
    int Ipv6Prefix,
    string Basis,
    WindowDocument Window,
    CoverageDocument Coverage,
    IReadOnlyList<MatrixCellDocument> Cells,
    double UnattributedBytes,
    MeasuredDocument Unattributed);

/// <summary>One cell of the matrix document, its bytes and packets each with their bound.</summary>
internal sealed record MatrixCellDocument(string From, string To, double Bytes, double BytesError, double Packets, double PacketsError, bool Exact, bool Trusted);
