using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// Saves camera messages as image files in the shared images folder (under ros/), so the Reachy server's
/// describe_image can read them by relative path; never hands base64 to the model.
/// </summary>
public sealed class ImageSaver(string imagesDirectory, string robotName)
{
    /// <summary>The images root (describe_image paths are relative to it).</summary>
    public string ImagesDirectory { get; } = Path.GetFullPath(imagesDirectory);

    /// <summary>True if the message looks like sensor_msgs/CompressedImage or sensor_msgs/Image.</summary>
    public static bool IsImage(JsonObject msg)
        => msg["data"] is JsonValue && (msg["format"] is JsonValue || (msg["width"] is JsonValue && msg["encoding"] is JsonValue));

    /// <summary>Writes the image and returns (absolute path, path relative to the images root, bytes, width, height).</summary>
    public (string Path, string RelativePath, int Bytes) Save(JsonObject msg)
    {
        byte[] file;
        string extension;
        var data = Convert.FromBase64String(msg["data"]?.GetValue<string>() ?? "");
        if (msg["format"] is JsonValue format)
        {
            // CompressedImage: already an encoded picture ("jpeg", "rgb8; jpeg compressed bgr8", "png").
            file = data;
            extension = data.Length > 3 && data[0] == 0xFF && data[1] == 0xD8 ? "jpg"
                : data.Length > 8 && data[0] == 0x89 && data[1] == (byte)'P' ? "png"
                : throw new InvalidDataException($"compressed image of format '{format}' is neither JPEG nor PNG");
        }
        else
        {
            file = EncodeRaw(msg, data);
            extension = "png";
        }
        var folder = Path.Combine(ImagesDirectory, "ros");
        Directory.CreateDirectory(folder);
        var name = $"{robotName}_{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}_{Guid.NewGuid().ToString("N")[..8]}.{extension}";
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, file);
        return (path, $"ros/{name}", file.Length);
    }

    /// <summary>Largest raw image encoded, in pixels (the Vision library's bound for decoded pictures).</summary>
    public const long MaxPixels = 40_000_000;

    /// <summary>Encodes a raw sensor_msgs/Image (rgb8, bgr8, rgba8, bgra8, mono8, mono16/16UC1) as PNG.</summary>
    internal static byte[] EncodeRaw(JsonObject msg, byte[] data)
    {
        var width = msg["width"]!.GetValue<int>();
        var height = msg["height"]!.GetValue<int>();
        var encoding = msg["encoding"]!.GetValue<string>();
        var step = msg["step"]?.GetValue<int>() ?? 0;
        var bigEndian = (msg["is_bigendian"]?.GetValue<int>() ?? 0) != 0;
        var (inChannels, bytesPer) = encoding switch
        {
            "rgb8" or "bgr8" => (3, 1),
            "rgba8" or "bgra8" => (4, 1),
            "mono8" or "8UC1" => (1, 1),
            "mono16" or "16UC1" => (1, 2),
            _ => throw new InvalidDataException($"raw image encoding '{encoding}' is not supported (rgb8, bgr8, rgba8, bgra8, mono8, mono16)"),
        };
        // Bounded by pixel count before anything is allocated: 16384x16384 rgb8 would be 800 MB.
        if (width <= 0 || height <= 0 || width > 16384 || height > 16384 || (long)width * height > MaxPixels)
        {
            throw new InvalidDataException($"image size {width}x{height} is out of range (at most {MaxPixels / 1_000_000} megapixels, 16384 on a side)");
        }
        if (step == 0)
        {
            step = width * inChannels * bytesPer;
        }
        if ((long)step * height > data.Length || step < width * inChannels * bytesPer)
        {
            throw new InvalidDataException($"image data ({data.Length} bytes) is shorter than {height} rows of {step} bytes");
        }
        var outChannels = inChannels == 1 ? 1 : 3;
        var raw = new byte[(width * outChannels + 1) * height];
        var o = 0;
        for (var y = 0; y < height; y++)
        {
            raw[o++] = 0;
            var row = y * step;
            for (var x = 0; x < width; x++)
            {
                var p = row + x * inChannels * bytesPer;
                if (inChannels == 1)
                {
                    // mono16: keep the high byte, a fair preview of depth or IR.
                    raw[o++] = bytesPer == 1 ? data[p] : bigEndian ? data[p] : data[p + 1];
                }
                else if (encoding.StartsWith("bgr", StringComparison.Ordinal))
                {
                    raw[o++] = data[p + 2];
                    raw[o++] = data[p + 1];
                    raw[o++] = data[p];
                }
                else
                {
                    raw[o++] = data[p];
                    raw[o++] = data[p + 1];
                    raw[o++] = data[p + 2];
                }
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = (byte)(outChannels == 1 ? 0 : 2);
        WriteChunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                z.Write(raw);
            }
            WriteChunk(png, "IDAT", compressed.ToArray());
        }
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, body.Length);
        stream.Write(word);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(body);
        var crc = Crc32(Crc32(0xFFFFFFFFu, typeBytes), body) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        stream.Write(word);
    }

    private static uint Crc32(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return crc;
    }
}
