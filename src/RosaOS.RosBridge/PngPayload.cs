using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace RosaOS.RosBridge;

/// <summary>
/// Decodes rosbridge's <c>png</c> op: base64 → PNG (8-bit RGB, as PIL writes it) → raw pixel bytes →
/// the UTF-8 JSON of the real frame, right-padded with newlines.
/// </summary>
internal static class PngPayload
{
    public static bool TryDecode(JsonObject frame, int maxBytes, out byte[] json, out string? error)
    {
        json = [];
        error = null;
        try
        {
            var png = Convert.FromBase64String(frame["data"]?.GetValue<string>() ?? "");
            var pixels = DecodePixels(png, maxBytes);
            var end = pixels.Length;
            while (end > 0 && pixels[end - 1] is (byte)'\n' or 0)
            {
                end--;
            }
            json = pixels[..end];
            return true;
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or InvalidOperationException or ArgumentException)
        {
            error = $"bad png frame: {ex.Message}";
            return false;
        }
    }

    /// <summary>The unfiltered pixel bytes of a non-interlaced 8-bit PNG.</summary>
    public static byte[] DecodePixels(byte[] png, int maxBytes)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 8 || !png.AsSpan(0, 8).SequenceEqual(signature))
        {
            throw new InvalidDataException("not a PNG");
        }
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        var pos = 8;
        while (pos + 8 <= png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            if (length < 0 || pos + 12 + length > png.Length)
            {
                throw new InvalidDataException("truncated PNG chunk");
            }
            var body = png.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                if (body[8] != 8 || body[12] != 0)
                {
                    throw new InvalidDataException("only 8-bit non-interlaced PNG is used by rosbridge");
                }
                channels = body[9] switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new InvalidDataException("palette PNG not supported") };
            }
            else if (type == "IDAT")
            {
                idat.Write(body);
            }
            else if (type == "IEND")
            {
                break;
            }
            pos += 12 + length;
        }
        var stride = (long)width * channels;
        if (width <= 0 || height <= 0 || stride * height > maxBytes)
        {
            throw new InvalidDataException($"PNG of {width}x{height} is empty or too large");
        }
        idat.Position = 0;
        using var inflate = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new byte[(stride + 1) * height];
        inflate.ReadExactly(raw);
        var output = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan((int)(y * (stride + 1) + 1), (int)stride);
            var current = output.AsSpan((int)(y * stride), (int)stride);
            var previous = y > 0 ? output.AsSpan((int)((y - 1) * stride), (int)stride) : default;
            for (var x = 0; x < stride; x++)
            {
                int a = x >= channels ? current[x - channels] : 0;
                int b = y > 0 ? previous[x] : 0;
                int c = x >= channels && y > 0 ? previous[x - channels] : 0;
                current[x] = (byte)(line[x] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"bad PNG filter {filter}"),
                });
            }
        }
        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
