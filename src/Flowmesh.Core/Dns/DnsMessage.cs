namespace Flowmesh.Core.Dns;

/// <summary>
/// What <see cref="DnsMessageDecoder"/> read from one DNS message: the header, the first question and the A, AAAA and
/// CNAME answers. Reused across messages (the decoder resets it), so decoding a message allocates only its names.
/// </summary>
public sealed class DnsMessage
{
    /// <summary>Answers kept per message; more are counted in <see cref="AnswersSkipped"/>, so a hostile count cannot grow memory.</summary>
    public const int MaxAnswers = 64;

    private readonly List<DnsAnswer> _answers = new(8);

    public ushort TransactionId { get; internal set; }
    public bool IsResponse { get; internal set; }
    public byte Opcode { get; internal set; }

    /// <summary>RCODE (the header's 4 bits; EDNS extended codes are not read).</summary>
    public byte ResponseCode { get; internal set; }

    /// <summary>TC: the server cut the answer to fit UDP; the client retries over TCP.</summary>
    public bool IsTruncated { get; internal set; }

    public ushort QuestionCount { get; internal set; }
    public ushort AnswerCount { get; internal set; }

    /// <summary>The first question's name; null when the header or question could not be read.</summary>
    public string? QuestionName { get; internal set; }
    public ushort QuestionType { get; internal set; }
    public ushort QuestionClass { get; internal set; }

    /// <summary>A, AAAA and CNAME records of the answer section, in order, up to <see cref="MaxAnswers"/>.</summary>
    public IReadOnlyList<DnsAnswer> Answers => _answers;

    /// <summary>Answer records read but not kept: other types, or beyond <see cref="MaxAnswers"/>.</summary>
    public int AnswersSkipped { get; internal set; }

    internal void Reset()
    {
        TransactionId = 0;
        IsResponse = false;
        Opcode = 0;
        ResponseCode = 0;
        IsTruncated = false;
        QuestionCount = 0;
        AnswerCount = 0;
        QuestionName = null;
        QuestionType = 0;
        QuestionClass = 0;
        AnswersSkipped = 0;
        _answers.Clear();
    }

    internal bool TryAddAnswer(in DnsAnswer answer)
    {
        if (_answers.Count >= MaxAnswers) return false;
        _answers.Add(answer);
        return true;
    }
}
