using System.Buffers.Binary;
using OpenCvSharp;

namespace RosaOS.Vision;

/// <summary>
/// Decodes pictures only after reading their size from the header, so a small file that claims to be huge (a PNG or JPEG
/// "bomb") is refused before OpenCV allocates anything. Every picture a request can name goes through here.
/// </summary>
public static class BoundedImage
{
    /// <summary>Largest picture decoded, in pixels (40 megapixels: above any camera rosaOS drives, far below a bomb's billions).</summary>
    public const long MaxPixels = 40_000_000;

    /// <summary>Largest image file read, in bytes.</summary>
    public const long MaxFileBytes = 50L * 1024 * 1024;

    /// <summary>Reads and decodes <paramref name="path"/> as BGR, or an empty Mat when it is not a decodable picture.</summary>
    /// <exception cref="VisionException">The file is too large, or its header names more than <see cref="MaxPixels"/> pixels.</exception>
    public static Mat Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return new Mat();
        }
        if (info.Length > MaxFileBytes)
        {
            throw new VisionException($"{info.Name} is {info.Length} bytes; images of at most {MaxFileBytes} bytes are read.");
        }
        return Decode(File.ReadAllBytes(path), info.Name);
    }

    /// <summary>Decodes <paramref name="bytes"/> as BGR, or an empty Mat when they are not a picture of a known format.</summary>
    /// <exception cref="VisionException">The header names more than <see cref="MaxPixels"/> pixels.</exception>
    public static Mat Decode(byte[] bytes, string what = "the image")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (TryReadSize(bytes) is not var (width, height))
        {
            return new Mat();
        }
        if (width <= 0 || height <= 0 || (long)width * height > MaxPixels)
        {
            throw new VisionException($"{what} is {width}x{height} pixels; pictures of at most {MaxPixels / 1_000_000} megapixels are decoded.");
        }
        return Cv2.ImDecode(bytes, ImreadModes.Color);
    }

    /// <summary>Like <see cref="Decode"/>, but an oversized picture gives an empty Mat (for loops over camera frames, which skip bad frames).</summary>
    public static Mat DecodeOrEmpty(byte[] bytes)
    {
        try
        {
            return Decode(bytes);
        }
        catch (VisionException)
        {
            return new Mat();
        }
    }

    /// <summary>Width and height from a PNG, JPEG, GIF, BMP or WebP header; null for anything else (not decoded at all).</summary>
    public static (int Width, int Height)? TryReadSize(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 24 && b[0] == 0x89 && b[1] == (byte)'P' && b[2] == (byte)'N' && b[3] == (byte)'G')
        {
            return (ToInt(BinaryPrimitives.ReadUInt32BigEndian(b[16..])), ToInt(BinaryPrimitives.ReadUInt32BigEndian(b[20..])));
        }
        if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0xD8)
        {
            return JpegSize(b);
        }
        if (b.Length >= 10 && b[0] == (byte)'G' && b[1] == (byte)'I' && b[2] == (byte)'F')
        {
            return (BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), BinaryPrimitives.ReadUInt16LittleEndian(b[8..]));
        }
        if (b.Length >= 26 && b[0] == (byte)'B' && b[1] == (byte)'M')
        {
            return (Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(b[18..])), Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(b[22..])));
        }
        if (b.Length >= 30 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8))
        {
            return WebPSize(b);
        }
        return null;
    }

    private static int ToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    private static (int, int)? JpegSize(ReadOnlySpan<byte> b)
    {
        var i = 2;
        while (i + 9 < b.Length)
        {
            if (b[i] != 0xFF)
            {
                return null;
            }
            var marker = b[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2;
                continue;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
            // Start-of-frame markers (baseline, progressive, lossless, arithmetic), not DHT (C4), JPG (C8) or DAC (CC).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return (BinaryPrimitives.ReadUInt16BigEndian(b[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(b[(i + 5)..]));
            }
            if (length < 2)
            {
                return null;
            }
            i += 2 + length;
        }
        return null;
    }

    private static (int, int)? WebPSize(ReadOnlySpan<byte> b)
    {
        var chunk = b[12..16];
        if (chunk.SequenceEqual("VP8X"u8))
        {
            return (1 + (b[24] | (b[25] << 8) | (b[26] << 16)), 1 + (b[27] | (b[28] << 8) | (b[29] << 16)));
        }
        if (chunk.SequenceEqual("VP8 "u8))
        {
            return (BinaryPrimitives.ReadUInt16LittleEndian(b[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(b[28..]) & 0x3FFF);
        }
        if (chunk.SequenceEqual("VP8L"u8) && b.Length >= 25)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(b[21..]);
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }
        return null;
    }
}
