using System.Buffers.Binary;

namespace RosaOS.Mcp.Kasa.Protocol;

/// <summary>
/// The legacy Kasa "encryption": an autokey XOR whose key starts at 171 and becomes the last cipher byte. On TCP 9999
/// each message is prefixed with its length (4 bytes, big-endian); UDP discovery datagrams carry no prefix.
/// </summary>
public static class KasaXor
{
    private const byte InitialKey = 171;

    /// <summary>Encrypts <paramref name="plain"/>.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plain)
    {
        var output = new byte[plain.Length];
        var key = InitialKey;
        for (var i = 0; i < plain.Length; i++)
        {
            key = (byte)(key ^ plain[i]);
            output[i] = key;
        }
        return output;
    }

    /// <summary>Decrypts <paramref name="cipher"/>.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> cipher)
    {
        var output = new byte[cipher.Length];
        var key = InitialKey;
        for (var i = 0; i < cipher.Length; i++)
        {
            output[i] = (byte)(key ^ cipher[i]);
            key = cipher[i];
        }
        return output;
    }

    /// <summary>Largest TCP message accepted (a bulb's answers are a few kilobytes).</summary>
    public const int MaxMessage = 64 * 1024;

    /// <summary>Writes one length-prefixed encrypted message.</summary>
    public static async Task WriteFrameAsync(Stream stream, ReadOnlyMemory<byte> plain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var cipher = Encrypt(plain.Span);
        var frame = new byte[4 + cipher.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, cipher.Length);
        cipher.CopyTo(frame, 4);
        await stream.WriteAsync(frame, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads one length-prefixed message and decrypts it; null when the peer closed before a frame began.</summary>
    public static async Task<byte[]?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[4];
        var read = await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }
        if (read < 4)
        {
            throw new IOException("The connection closed inside a Kasa frame header.");
        }
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < 0 or > MaxMessage)
        {
            throw new InvalidDataException($"A Kasa frame of {length} bytes is outside 0..{MaxMessage}.");
        }
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return Decrypt(body);
    }
}
