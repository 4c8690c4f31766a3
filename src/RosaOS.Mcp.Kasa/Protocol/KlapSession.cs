using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace RosaOS.Mcp.Kasa.Protocol;

/// <summary>
/// KLAP (version 2), the HTTP protocol of newer Kasa firmware, as publicly described: the client posts a 16-byte seed
/// to <c>/app/handshake1</c>; the device answers its own seed and SHA-256(local seed, remote seed, auth hash); the client
/// proves the same secret on <c>/app/handshake2</c> with SHA-256(remote seed, local seed, auth hash). Both sides then
/// derive an AES-128-CBC key ("lsk"), an IV prefix and starting sequence number ("iv") and a signature prefix ("ldk")
/// from the seeds and the auth hash; each request is <c>/app/request?seq=N</c> with SHA-256(sig, seq, cipher) + cipher.
/// The auth hash is SHA-256(SHA-1(user name) + SHA-1(password)) of the TP-Link cloud account.
/// </summary>
public sealed class KlapSession
{
    private readonly byte[] _key;
    private readonly byte[] _ivPrefix;
    private readonly byte[] _signaturePrefix;
    private int _sequence;
    private readonly Lock _gate = new();

    /// <summary>Derives the session from both seeds and the auth hash.</summary>
    public KlapSession(ReadOnlySpan<byte> localSeed, ReadOnlySpan<byte> remoteSeed, ReadOnlySpan<byte> authHash)
    {
        _key = Derive("lsk", localSeed, remoteSeed, authHash)[..16];
        var iv = Derive("iv", localSeed, remoteSeed, authHash);
        _ivPrefix = iv[..12];
        _sequence = BinaryPrimitives.ReadInt32BigEndian(iv.AsSpan(28, 4));
        _signaturePrefix = Derive("ldk", localSeed, remoteSeed, authHash)[..28];
    }

    /// <summary>SHA-256(SHA-1(user name) + SHA-1(password)).</summary>
    public static byte[] AuthHash(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        // SHA-1 is what the bulbs' firmware computes; it only feeds the SHA-256 auth hash and is not our choice.
#pragma warning disable CA5350
        return SHA256.HashData([.. SHA1.HashData(Encoding.UTF8.GetBytes(userName)), .. SHA1.HashData(Encoding.UTF8.GetBytes(password))]);
#pragma warning restore CA5350
    }

    /// <summary>What the device answers on handshake1 after its seed.</summary>
    public static byte[] ServerProof(ReadOnlySpan<byte> localSeed, ReadOnlySpan<byte> remoteSeed, ReadOnlySpan<byte> authHash)
        => SHA256.HashData([.. localSeed, .. remoteSeed, .. authHash]);

    /// <summary>What the client posts on handshake2.</summary>
    public static byte[] ClientProof(ReadOnlySpan<byte> localSeed, ReadOnlySpan<byte> remoteSeed, ReadOnlySpan<byte> authHash)
        => SHA256.HashData([.. remoteSeed, .. localSeed, .. authHash]);

    private static byte[] Derive(string label, ReadOnlySpan<byte> localSeed, ReadOnlySpan<byte> remoteSeed, ReadOnlySpan<byte> authHash)
        => SHA256.HashData([.. Encoding.ASCII.GetBytes(label), .. localSeed, .. remoteSeed, .. authHash]);

    /// <summary>The client side: next sequence number and the request body (signature + cipher).</summary>
    public (int Sequence, byte[] Body) Encrypt(ReadOnlySpan<byte> plain)
    {
        int sequence;
        lock (_gate)
        {
            sequence = ++_sequence;
        }
        return (sequence, Seal(sequence, plain));
    }

    /// <summary>Signature + cipher of <paramref name="plain"/> at <paramref name="sequence"/> (the device answers with the request's number).</summary>
    public byte[] Seal(int sequence, ReadOnlySpan<byte> plain)
    {
        using var aes = Aes.Create();
        aes.Key = _key;
        var cipher = aes.EncryptCbc(plain, Iv(sequence), PaddingMode.PKCS7);
        var signature = SHA256.HashData([.. _signaturePrefix, .. SequenceBytes(sequence), .. cipher]);
        return [.. signature, .. cipher];
    }

    /// <summary>Checks the signature and decrypts a body sealed at <paramref name="sequence"/>.</summary>
    public byte[] Open(int sequence, ReadOnlySpan<byte> body)
    {
        if (body.Length < 32 + 16)
        {
            throw new InvalidDataException($"A KLAP body of {body.Length} bytes is too short.");
        }
        var cipher = body[32..];
        var expected = SHA256.HashData([.. _signaturePrefix, .. SequenceBytes(sequence), .. cipher]);
        if (!CryptographicOperations.FixedTimeEquals(expected, body[..32]))
        {
            throw new InvalidDataException("The KLAP signature does not match (wrong key or sequence number).");
        }
        using var aes = Aes.Create();
        aes.Key = _key;
        return aes.DecryptCbc(cipher, Iv(sequence), PaddingMode.PKCS7);
    }

    private byte[] Iv(int sequence) => [.. _ivPrefix, .. SequenceBytes(sequence)];

    private static byte[] SequenceBytes(int sequence)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, sequence);
        return bytes;
    }
}
