using System.Buffers.Binary;

namespace RosaOS.Simulator.Tests;

/// <summary>Builds WAV files for the speaker tests (a sine at 440 Hz).</summary>
internal static class Wav
{
    public static byte[] Create(double seconds, int sampleRate = 16000, int channels = 1, int bits = 16, int format = 1)
    {
        var frames = (int)(seconds * sampleRate);
        var bytesPerSample = bits / 8;
        var data = new byte[frames * channels * bytesPerSample];
        for (var i = 0; i < frames; i++)
        {
            var v = Math.Sin(2 * Math.PI * 440 * i / sampleRate) * 0.5;
            for (var c = 0; c < channels; c++)
            {
                var at = ((i * channels) + c) * bytesPerSample;
                switch (format == 3 ? 3 : 1, bits)
                {
                    case (3, 32):
                        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(at), (float)v);
                        break;
                    case (1, 8):
                        data[at] = (byte)(128 + (v * 127));
                        break;
                    case (1, 16):
                        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(at), (short)(v * short.MaxValue));
                        break;
                    case (1, 24):
                        var s24 = (int)(v * 8_388_607);
                        data[at] = (byte)s24;
                        data[at + 1] = (byte)(s24 >> 8);
                        data[at + 2] = (byte)(s24 >> 16);
                        break;
                    default:
                        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(at), (int)(v * int.MaxValue));
                        break;
                }
            }
        }
        var file = new byte[44 + data.Length];
        "RIFF"u8.CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(4), 36 + data.Length);
        "WAVE"u8.CopyTo(file.AsSpan(8));
        "fmt "u8.CopyTo(file.AsSpan(12));
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(20), (short)format);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(22), (short)channels);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(24), sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(28), sampleRate * channels * bytesPerSample);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(32), (short)(channels * bytesPerSample));
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(34), (short)bits);
        "data"u8.CopyTo(file.AsSpan(36));
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(40), data.Length);
        data.CopyTo(file, 44);
        return file;
    }
}
