using System.Buffers.Binary;

namespace RosaOS.Speech.Audio;

/// <summary>Mono audio as floats in [-1, 1] with its sample rate.</summary>
public sealed record AudioClip(float[] Samples, int SampleRate)
{
    /// <summary>Length in seconds.</summary>
    public double DurationSeconds => SampleRate > 0 ? (double)Samples.Length / SampleRate : 0;
}

/// <summary>
/// Reads and writes RIFF WAV: PCM 8/16/24/32-bit and IEEE float 32-bit, any channel count (mixed down to mono on read).
/// Written by hand because the format is small and no audio package restores here.
/// </summary>
public static class WavFile
{
    /// <summary>Decodes a WAV file's bytes into mono floats.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a WAV file this reader understands.</exception>
    public static AudioClip Read(ReadOnlySpan<byte> wav)
    {
        if (wav.Length < 12 || !wav[..4].SequenceEqual("RIFF"u8) || !wav.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("Not a RIFF/WAVE file.");
        }
        int format = 0, channels = 0, rate = 0, bits = 0;
        var pos = 12;
        while (pos + 8 <= wav.Length)
        {
            var id = wav.Slice(pos, 4);
            // espeak-ng writes 0x7FFFFFFF sizes when it streams to stdout; clamp to what is there.
            var size = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(wav.Slice(pos + 4, 4)), (uint)(wav.Length - pos - 8));
            var body = wav.Slice(pos + 8, size);
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16)
                {
                    throw new InvalidDataException("WAV fmt chunk is too short.");
                }
                format = BinaryPrimitives.ReadUInt16LittleEndian(body);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(body[14..]);
                if (format == 0xFFFE && size >= 26)
                {
                    format = BinaryPrimitives.ReadUInt16LittleEndian(body[24..]); // WAVE_FORMAT_EXTENSIBLE sub-format
                }
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (channels == 0)
                {
                    throw new InvalidDataException("WAV data chunk before fmt chunk.");
                }
                return new AudioClip(Decode(body, format, channels, bits), rate);
            }
            pos += 8 + size + (size & 1);
        }
        throw new InvalidDataException("WAV file has no data chunk.");
    }

    /// <summary>Encodes mono floats as 16-bit PCM WAV (values clipped to [-1, 1]).</summary>
    public static byte[] WritePcm16(ReadOnlySpan<float> samples, int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        var dataBytes = samples.Length * 2;
        var wav = new byte[44 + dataBytes];
        var span = wav.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + dataBytes);
        "WAVEfmt "u8.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], sampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], dataBytes);
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(span[(44 + (i * 2))..], ToPcm16(samples[i]));
        }
        return wav;
    }

    /// <summary>A float sample as 16-bit PCM, clipped; NaN becomes silence.</summary>
    public static short ToPcm16(float sample)
        => float.IsNaN(sample) ? (short)0 : (short)Math.Round(Math.Clamp(sample, -1f, 1f) * 32767f);

    private static float[] Decode(ReadOnlySpan<byte> data, int format, int channels, int bits)
    {
        var bytesPerSample = bits / 8;
        if (bytesPerSample == 0 || (format == 1 && bits is not (8 or 16 or 24 or 32)) || (format == 3 && bits != 32) || format is not (1 or 3))
        {
            throw new InvalidDataException($"Unsupported WAV encoding (format {format}, {bits} bits).");
        }
        var frames = data.Length / (bytesPerSample * channels);
        var mono = new float[frames];
        for (var f = 0; f < frames; f++)
        {
            var sum = 0f;
            for (var c = 0; c < channels; c++)
            {
                var s = data.Slice(((f * channels) + c) * bytesPerSample, bytesPerSample);
                sum += (format, bits) switch
                {
                    (3, _) => BinaryPrimitives.ReadSingleLittleEndian(s),
                    (_, 8) => (s[0] - 128) / 128f,
                    (_, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768f,
                    (_, 24) => ((s[0] << 8 | s[1] << 16 | s[2] << 24) >> 8) / 8388608f,
                    _ => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648f,
                };
            }
            mono[f] = sum / channels;
        }
        return mono;
    }
}
