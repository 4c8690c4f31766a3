using RosaOS.Speech.Audio;

namespace RosaOS.Simulator.Audio;

/// <summary>What the virtual speaker plays: PCM 8/16/24/32-bit integer or 32-bit float, 1 or 2 channels (the header is read by <see cref="WavHeader"/>).</summary>
internal sealed record WavInfo(int SampleRate, int Channels, int BitsPerSample, string Format, long DataBytes)
{
    /// <summary>Playing time in seconds.</summary>
    public double DurationS => DataBytes / (double)(Channels * (BitsPerSample / 8)) / SampleRate;

    /// <summary>Parses the header; throws <see cref="InvalidDataException"/> with a reason a caller can act on.</summary>
    public static WavInfo Parse(ReadOnlySpan<byte> bytes)
    {
        var header = WavHeader.Read(bytes);
        var (format, channels, rate, bits) = (header.Format, header.Channels, header.SampleRate, header.BitsPerSample);
        var name = (format, bits) switch
        {
            (1, 8 or 16 or 24 or 32) => $"pcm_s{bits}",
            (3, 32) => "float32",
            _ => throw new InvalidDataException($"Unsupported WAV encoding (format {format}, {bits} bits): use PCM 8/16/24/32-bit integer or 32-bit float."),
        };
        if (channels is not (1 or 2))
        {
            throw new InvalidDataException($"Unsupported channel count {channels}: use mono or stereo.");
        }
        if (rate is < 1000 or > 384_000)
        {
            throw new InvalidDataException($"Unsupported sample rate {rate} Hz.");
        }
        var frame = channels * (bits / 8);
        return new WavInfo(rate, channels, bits, name, header.DataLength - (header.DataLength % frame));
    }
}
