using System.Buffers.Binary;

namespace RosaOS.Speech.Audio;

/// <summary>
/// The facts of a RIFF/WAVE file's <c>fmt </c> chunk and where its samples are: the one chunk walker behind
/// <see cref="WavAudio.Parse"/> and the simulator's speaker, which each apply their own format rules.
/// </summary>
/// <param name="Format">1 = PCM, 3 = IEEE float (WAVE_FORMAT_EXTENSIBLE already resolved).</param>
/// <param name="Channels">Interleaved channels.</param>
/// <param name="SampleRate">Frames per second.</param>
/// <param name="BitsPerSample">Bits of one sample of one channel.</param>
/// <param name="DataOffset">Where the samples start in the file.</param>
/// <param name="DataLength">Bytes of samples (to the end of the file when the writer left the size unknown).</param>
public readonly record struct WavHeader(int Format, int Channels, int SampleRate, int BitsPerSample, int DataOffset, int DataLength)
{
    /// <summary>Walks the chunks; throws <see cref="InvalidDataException"/> saying what is wrong.</summary>
    public static WavHeader Read(ReadOnlySpan<byte> wav)
    {
        if (wav.Length < 12 || !wav[..4].SequenceEqual("RIFF"u8) || !wav.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("Not a WAV file (no RIFF/WAVE header).");
        }
        int format = 0, channels = 0, rate = 0, bits = 0;
        var position = 12;
        while (position + 8 <= wav.Length)
        {
            var id = wav.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(wav.Slice(position + 4, 4));
            var body = position + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || body + 16 > wav.Length)
                {
                    throw new InvalidDataException("WAV 'fmt ' chunk is too short.");
                }
                format = BinaryPrimitives.ReadUInt16LittleEndian(wav.Slice(body, 2));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(wav.Slice(body + 2, 2));
                rate = BinaryPrimitives.ReadInt32LittleEndian(wav.Slice(body + 4, 4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(wav.Slice(body + 14, 2));
                if (format == 0xFFFE && size >= 26 && body + 26 <= wav.Length)
                {
                    // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
                    format = BinaryPrimitives.ReadUInt16LittleEndian(wav.Slice(body + 24, 2));
                }
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (channels == 0)
                {
                    throw new InvalidDataException("WAV 'data' chunk comes before its 'fmt ' chunk.");
                }
                // Streaming writers leave the size unknown (0 or 0xFFFFFFFF): the data runs to the end.
                var length = size == 0 || body + (long)size > wav.Length ? wav.Length - body : (int)size;
                return new WavHeader(format, channels, rate, bits, body, length);
            }
            var next = body + (long)size + (size & 1);
            if (next > wav.Length)
            {
                break;
            }
            position = (int)next;
        }
        throw new InvalidDataException("WAV file has no 'data' chunk.");
    }
}
