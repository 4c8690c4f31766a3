using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using OpenCvSharp;
using RosaOS.RosSim.Graph;

namespace RosaOS.RosSim.Bridge;

/// <summary>rosbridge's outgoing encodings: fragments, png compression and cbor, in the shapes rosbridge_suite (ROS 2) sends.</summary>
public static class Encoding
{
    /// <summary>
    /// Splits a serialized message into <c>fragment</c> ops of at most <paramref name="size"/> characters, as
    /// rosbridge's Fragmentation does: <c>total</c> is <c>((len - 1) / size) + 1</c> computed with Python's true division,
    /// so it is a float such as 4.4 (clients take its ceiling).
    /// </summary>
    public static IEnumerable<string> Fragments(string serialized, int size, JsonNode? id)
    {
        ArgumentNullException.ThrowIfNull(serialized);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var total = ((serialized.Length - 1) / (double)size) + 1;
        var totalText = PythonFloat(total);
        var idText = id?.ToJsonString() ?? "0";
        for (int i = 0, n = 0; i < serialized.Length; i += size, n++)
        {
            var data = serialized.Substring(i, Math.Min(size, serialized.Length - i));
            yield return $"{{\"op\": \"fragment\", \"id\": {idText}, \"data\": {JsonValue.Create(data)!.ToJsonString()}, \"num\": {n}, \"total\": {totalText}}}";
        }
    }

    /// <summary>A float as Python's repr writes it (always with a decimal point).</summary>
    public static string PythonFloat(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0";
    }

    /// <summary>
    /// rosbridge's png compression: the UTF-8 JSON text in an RGB image of width floor(sqrt(len/3)), padded with '\n',
    /// PNG-encoded (OpenCV) and base64'd.
    /// </summary>
    public static string PngCompress(string json)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        var width = Math.Max(1, (int)Math.Floor(Math.Sqrt(bytes.Length / 3.0)));
        var height = (int)Math.Ceiling(bytes.Length / 3.0 / width);
        var padded = new byte[width * height * 3];
        Array.Fill(padded, (byte)'\n');
        bytes.CopyTo(padded, 0);
        using var rgb = Mat.FromPixelData(height, width, MatType.CV_8UC3, padded);
        using var bgr = new Mat();
        // OpenCV writes BGR as RGB: swap so the PNG's RGB bytes are the text in order.
        Cv2.CvtColor(rgb, bgr, ColorConversionCodes.RGB2BGR);
        Cv2.ImEncode(".png", bgr, out var png);
        return Convert.ToBase64String(png);
    }

    /// <summary>
    /// A publish op as CBOR (rosbridge's <c>compression: cbor</c>): uint8[] fields as byte strings, unbounded numeric arrays
    /// as RFC 8746 typed arrays (little-endian tags 69..86), everything else as plain CBOR.
    /// </summary>
    public static byte[] CborPublish(string topic, string type, JsonObject msg)
    {
        var writer = new CborWriter(CborConformanceMode.Lax);
        writer.WriteStartMap(3);
        writer.WriteTextString("op");
        writer.WriteTextString("publish");
        writer.WriteTextString("topic");
        writer.WriteTextString(topic);
        writer.WriteTextString("msg");
        WriteMessage(writer, msg, MessageTypes.Fields(type));
        writer.WriteEndMap();
        return writer.Encode();
    }

    private static void WriteMessage(CborWriter writer, JsonNode? node, IReadOnlyList<RosField>? fields)
    {
        if (node is not JsonObject obj || fields is null)
        {
            WritePlain(writer, node);
            return;
        }
        writer.WriteStartMap(obj.Count);
        foreach (var (name, value) in obj)
        {
            writer.WriteTextString(name);
            var field = fields.FirstOrDefault(f => f.Name == name);
            if (field is null)
            {
                WritePlain(writer, value);
            }
            else if (field.ArrayLength == 0 && field.Type is "uint8" or "byte" or "char" && value is JsonValue b64 && b64.TryGetValue<string>(out var text))
            {
                writer.WriteByteString(Convert.FromBase64String(text));
            }
            else if (field.ArrayLength == 0 && value is JsonArray numbers && TypedArrayTag(field.Type) is { } tag)
            {
                writer.WriteTag((CborTag)tag.Tag);
                writer.WriteByteString(Pack(numbers, field.Type, tag.Size));
            }
            else if (field.IsArray && value is JsonArray items)
            {
                var nested = MessageTypes.Fields(field.Type);
                writer.WriteStartArray(items.Count);
                foreach (var item in items)
                {
                    WriteMessage(writer, item, nested);
                }
                writer.WriteEndArray();
            }
            else
            {
                WriteMessage(writer, value, MessageTypes.Fields(field.Type));
            }
        }
        writer.WriteEndMap();
    }

    private static (int Tag, int Size)? TypedArrayTag(string type) => type switch
    {
        "uint16" => (69, 2),
        "uint32" => (70, 4),
        "uint64" => (71, 8),
        "int8" => (72, 1),
        "int16" => (77, 2),
        "int32" => (78, 4),
        "int64" => (79, 8),
        "float32" => (85, 4),
        "float64" => (86, 8),
        _ => null,
    };

    private static byte[] Pack(JsonArray numbers, string type, int size)
    {
        var bytes = new byte[numbers.Count * size];
        for (var i = 0; i < numbers.Count; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            var value = numbers[i]?.GetValue<double>() ?? 0;
            switch (type)
            {
                case "float32": BinaryPrimitives.WriteSingleLittleEndian(span, (float)value); break;
                case "float64": BinaryPrimitives.WriteDoubleLittleEndian(span, value); break;
                case "int8": span[0] = unchecked((byte)(sbyte)value); break;
                case "int16": BinaryPrimitives.WriteInt16LittleEndian(span, (short)value); break;
                case "uint16": BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value); break;
                case "int32": BinaryPrimitives.WriteInt32LittleEndian(span, (int)value); break;
                case "uint32": BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value); break;
                case "int64": BinaryPrimitives.WriteInt64LittleEndian(span, (long)value); break;
                default: BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)value); break;
            }
        }
        return bytes;
    }

    private static void WritePlain(CborWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNull();
                break;
            case JsonObject obj:
                writer.WriteStartMap(obj.Count);
                foreach (var (name, value) in obj)
                {
                    writer.WriteTextString(name);
                    WritePlain(writer, value);
                }
                writer.WriteEndMap();
                break;
            case JsonArray array:
                writer.WriteStartArray(array.Count);
                foreach (var item in array)
                {
                    WritePlain(writer, item);
                }
                writer.WriteEndArray();
                break;
            case JsonValue value when value.TryGetValue<bool>(out var flag):
                writer.WriteBoolean(flag);
                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                writer.WriteTextString(text);
                break;
            case JsonValue value when value.TryGetValue<long>(out var whole):
                writer.WriteInt64(whole);
                break;
            case JsonValue value:
                writer.WriteDouble(value.GetValue<double>());
                break;
        }
    }

    /// <summary>Text of a JSON node the way Python's json.dumps separates items (", " and ": ").</summary>
    public static string Dumps(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var builder = new StringBuilder();
        Write(builder, node);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                builder.Append('{');
                var first = true;
                foreach (var (name, value) in obj)
                {
                    if (!first)
                    {
                        builder.Append(", ");
                    }
                    first = false;
                    builder.Append(JsonValue.Create(name)!.ToJsonString()).Append(": ");
                    Write(builder, value);
                }
                builder.Append('}');
                break;
            case JsonArray array:
                builder.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(", ");
                    }
                    Write(builder, array[i]);
                }
                builder.Append(']');
                break;
            case JsonValue value when value.TryGetValue<double>(out var d) && !value.TryGetValue<long>(out _):
                builder.Append(double.IsFinite(d) ? PythonFloat(d) : d.ToString(CultureInfo.InvariantCulture) switch { "NaN" => "NaN", var s when s.StartsWith('-') => "-Infinity", _ => "Infinity" });
                break;
            case null:
                builder.Append("null");
                break;
            default:
                builder.Append(node.ToJsonString());
                break;
        }
    }
}
