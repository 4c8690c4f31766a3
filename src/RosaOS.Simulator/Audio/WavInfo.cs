using System.Buffers.Binary;

namespace RosaOS.Simulator.Audio;

/// <summary>The header facts of a RIFF/WAVE file: PCM 8/16/24/32-bit integer or 32-bit float, 1 or 2 channels.</summary>
internal sealed record WavInfo(int SampleRate, int Channels, int BitsPerSample, string Format, long DataBytes)
{
    /// <summary>Playing time in seconds.</summary>
    public double DurationS => DataBytes / (double)(Channels * (BitsPerSample / 8)) / SampleRate;

    /// <summary>Parses the header; throws <see cref="InvalidDataException"/> with a reason a caller can act on.</summary>
    public static WavInfo Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 12 || !bytes[..4].SequenceEqual("RIFF"u8) || !bytes.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("Not a WAV file: expected a RIFF/WAVE header.");
        }
        var offset = 12;
        int? format = null;
        int channels = 0, rate = 0, bits = 0;
        while (offset + 8 <= bytes.Length)
        {
            var id = bytes.Slice(offset, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(offset + 4, 4));
            var body = offset + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || body + 16 > bytes.Length)
                {
                    throw new InvalidDataException("WAV 'fmt ' chunk is truncated.");
                }
                format = BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(body, 2));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(body + 2, 2));
                rate = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(body + 4, 4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(body + 14, 2));
                if (format == 0xFFFE && size >= 40 && body + 26 <= bytes.Length)
                {
                    // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
                    format = BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(body + 24, 2));
                }
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (format is null)
                {
                    throw new InvalidDataException("WAV 'data' chunk comes before 'fmt '.");
                }
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
                // A streaming writer may leave the size at 0 or 0xFFFFFFFF: take what is there.
                var available = bytes.Length - body;
                long dataBytes = size == 0 || size == uint.MaxValue || size > available ? available : size;
                var frame = channels * (bits / 8);
                return new WavInfo(rate, channels, bits, name, dataBytes - (dataBytes % frame));
            }
            var next = body + (long)size + (size & 1);
            if (next > bytes.Length)
            {
                break;
            }
            offset = (int)next;
        }
        throw new InvalidDataException("WAV file has no 'data' chunk.");
    }
}
