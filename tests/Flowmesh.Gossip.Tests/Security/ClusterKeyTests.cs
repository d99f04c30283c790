using System.Security.Cryptography;
using System.Text;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

public sealed class ClusterKeyTests
{
    private static readonly byte[] Bytes = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    [Fact]
    public void Base64_and_hex_of_the_same_bytes_give_the_same_key()
    {
        var fromBase64 = ClusterKey.Parse(Convert.ToBase64String(Bytes) + "\n");
        var fromHex = ClusterKey.Parse("  " + Convert.ToHexString(Bytes));
        var fromLowerHex = ClusterKey.Parse(Convert.ToHexStringLower(Bytes));
        Assert.Equal(Convert.ToBase64String(Bytes), fromBase64.ExportBase64());
        Assert.Equal(Convert.ToBase64String(Bytes), fromHex.ExportBase64());
        Assert.Equal(fromBase64.Id, fromLowerHex.Id);
    }

    [Fact]
    public void Key_id_is_the_first_four_bytes_of_hmac_sha256_over_the_label()
    {
        var expected = HMACSHA256.HashData(Bytes, Encoding.ASCII.GetBytes("flowmesh/cluster-key-id/v1"));
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(expected), ClusterKey.FromBytes(Bytes).Id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key at all")]
    [InlineData("c2hvcnQ=")] // base64 of 5 bytes
    [InlineData("00112233445566778899aabbccddeeff")] // hex of 16 bytes: AES-128 is not accepted
    [InlineData("zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")]
    public void Bad_key_text_gives_a_clear_error(string text)
    {
        var error = Assert.Throws<FormatException>(() => ClusterKey.Parse(text));
        Assert.Contains("32 bytes", error.Message);
        Assert.Contains("base64", error.Message);
        Assert.Contains("hex", error.Message);
    }

    [Fact]
    public void A_bad_key_file_names_the_file_but_not_its_content()
    {
        var path = Path.Combine(Path.GetTempPath(), $"flowmesh-badkey-{Environment.ProcessId}.key");
        try
        {
            const string secretish = "SECRETSECRETSECRETSECRET";
            File.WriteAllText(path, secretish);
            var error = Assert.Throws<FormatException>(() => ClusterKey.FromFile(path));
            Assert.Contains(path, error.Message);
            Assert.DoesNotContain(secretish, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_key_file_gives_a_clear_error()
    {
        var error = Assert.Throws<FormatException>(() => ClusterKey.FromFile("/nonexistent/flowmesh/cluster.key"));
        Assert.Contains("cannot read cluster key file", error.Message);
    }

    [Fact]
    public void A_key_file_written_from_ExportBase64_reads_back()
    {
        var path = Path.Combine(Path.GetTempPath(), $"flowmesh-goodkey-{Environment.ProcessId}.key");
        try
        {
            var key = ClusterKey.Generate();
            File.WriteAllText(path, key.ExportBase64() + "\n");
            Assert.Equal(key.ExportBase64(), ClusterKey.FromFile(path).ExportBase64());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ToString_does_not_reveal_the_key()
    {
        var key = ClusterKey.FromBytes(Bytes);
        var text = key.ToString();
        Assert.DoesNotContain(Convert.ToBase64String(Bytes), text);
        Assert.DoesNotContain(Convert.ToHexString(Bytes), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexString(Bytes, 0, 4), text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("redacted", text);
        Assert.DoesNotContain(Convert.ToBase64String(Bytes), $"{new Keyring(key).Primary}");
    }

    [Fact]
    public void Generated_keys_differ()
    {
        Assert.NotEqual(ClusterKey.Generate().ExportBase64(), ClusterKey.Generate().ExportBase64());
    }

    [Fact]
    public void FromBytes_refuses_other_lengths()
    {
        Assert.Throws<ArgumentException>(() => ClusterKey.FromBytes(new byte[16]));
    }
}
