using System.Buffers.Binary;

namespace RosaOS.Speech.Audio;

/// <summary>
/// A decoded WAV sound: interleaved samples as floats in [-1, 1], sample rate and channel count. Reads PCM
/// 8/16/24/32-bit and IEEE float 32/64; writes 16-bit PCM. Tolerates the streaming headers of
/// <c>espeak-ng --stdout</c> (chunk sizes of 0 or 0x7FFFFFFF).
/// </summary>
public sealed class WavAudio
{
    private WavAudio(float[] samples, int sampleRate, int channels, string sourceFormat)
    {
        Samples = samples;
        SampleRate = sampleRate;
        Channels = channels;
        SourceFormat = sourceFormat;
    }

    /// <summary>Interleaved samples in [-1, 1].</summary>
    public float[] Samples { get; }

    /// <summary>Frames per second.</summary>
    public int SampleRate { get; }

    /// <summary>1 (mono) or more.</summary>
    public int Channels { get; }

    /// <summary>The format the sound was read from, e.g. "pcm_s16le" or "float32".</summary>
    public string SourceFormat { get; }

    /// <summary>Number of frames (samples per channel).</summary>
    public int Frames => Samples.Length / Channels;

    /// <summary>Length of the sound.</summary>
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Frames / SampleRate);

    /// <summary>Builds a sound from samples.</summary>
    public static WavAudio FromSamples(float[] samples, int sampleRate, int channels)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1000);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        return new WavAudio(samples, sampleRate, channels, "float32");
    }

    /// <summary>Builds a sound from raw little-endian 16-bit PCM (e.g. ElevenLabs' pcm_16000).</summary>
    public static WavAudio FromPcm16(ReadOnlySpan<byte> pcm, int sampleRate, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1000);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        var samples = new float[pcm.Length / 2];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = BinaryPrimitives.ReadInt16LittleEndian(pcm[(2 * i)..]) / 32768f;
        }
        return new WavAudio(samples, sampleRate, channels, "pcm_s16le");
    }

    /// <summary>Reads a RIFF/WAVE file; throws <see cref="InvalidDataException"/> saying what is wrong.</summary>
    public static WavAudio Parse(ReadOnlySpan<byte> wav)
    {
        var header = WavHeader.Read(wav);
        return Decode(wav.Slice(header.DataOffset, header.DataLength), header.Format, header.Channels, header.SampleRate, header.BitsPerSample);
    }

    private static WavAudio Decode(ReadOnlySpan<byte> data, int format, int channels, int rate, int bits)
    {
        if (channels is < 1 or > 8 || rate is < 1000 or > 384_000)
        {
            throw new InvalidDataException($"Unsupported WAV layout: {channels} channels at {rate} Hz.");
        }
        var bytesPerSample = bits / 8;
        if (bytesPerSample == 0 || (format != 1 && format != 3))
        {
            throw new InvalidDataException($"Unsupported WAV encoding: format {format}, {bits} bits (PCM or IEEE float expected).");
        }
        var count = data.Length / bytesPerSample / channels * channels;
        var samples = new float[count];
        for (var i = 0; i < count; i++)
        {
            var s = data.Slice(i * bytesPerSample, bytesPerSample);
            samples[i] = (format, bits) switch
            {
                (1, 8) => (s[0] - 128) / 128f,
                (1, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768f,
                (1, 24) => ((s[2] << 24) | (s[1] << 16) | (s[0] << 8)) / 2147483648f,
                (1, 32) => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648f,
                (3, 32) => BinaryPrimitives.ReadSingleLittleEndian(s),
                (3, 64) => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
                _ => throw new InvalidDataException($"Unsupported WAV encoding: format {format}, {bits} bits."),
            };
        }
        var name = format == 3 ? $"float{bits}" : bits == 8 ? "pcm_u8" : $"pcm_s{bits}le";
        return new WavAudio(samples, rate, channels, name);
    }

    /// <summary>A mono copy (channels averaged), resampled by linear interpolation to <paramref name="sampleRate"/>.</summary>
    public WavAudio ToMono(int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1000);
        var mono = new float[Frames];
        for (var f = 0; f < mono.Length; f++)
        {
            var sum = 0f;
            for (var c = 0; c < Channels; c++)
            {
                sum += Samples[(f * Channels) + c];
            }
            mono[f] = sum / Channels;
        }
        if (sampleRate == SampleRate || mono.Length == 0)
        {
            return new WavAudio(mono, SampleRate, 1, SourceFormat);
        }
        var outLength = (int)((long)mono.Length * sampleRate / SampleRate);
        var resampled = new float[outLength];
        var step = (double)SampleRate / sampleRate;
        for (var i = 0; i < outLength; i++)
        {
            var x = i * step;
            var j = (int)x;
            var t = (float)(x - j);
            var a = mono[Math.Min(j, mono.Length - 1)];
            var b = mono[Math.Min(j + 1, mono.Length - 1)];
            resampled[i] = a + ((b - a) * t);
        }
        return new WavAudio(resampled, sampleRate, 1, SourceFormat);
    }

    /// <summary>Samples as little-endian 16-bit PCM.</summary>
    public byte[] ToPcm16()
    {
        var pcm = new byte[Samples.Length * 2];
        for (var i = 0; i < Samples.Length; i++)
        {
            var v = (short)Math.Clamp(MathF.Round(Samples[i] * 32767f), short.MinValue, short.MaxValue);
            BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(2 * i), v);
        }
        return pcm;
    }

    /// <summary>A complete 16-bit PCM WAV file with exact chunk sizes.</summary>
    public byte[] ToWav()
    {
        var pcm = ToPcm16();
        var wav = new byte[44 + pcm.Length];
        var span = wav.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + pcm.Length);
        "WAVE"u8.CopyTo(span[8..]);
        "fmt "u8.CopyTo(span[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], (short)Channels);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], SampleRate * Channels * 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], (short)(Channels * 2));
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], pcm.Length);
        pcm.CopyTo(span[44..]);
        return wav;
    }
}
