using System.Text.Json;
using System.Text.Json.Serialization;

namespace RosaOS.ReachyMini.Protocol;

/// <summary>
/// A head pose as the daemon's REST API carries it (Pydantic <c>AnyPose</c>): either position in metres
/// plus roll/pitch/yaw in radians (scipy extrinsic "xyz": R = Rz(yaw)·Ry(pitch)·Rx(roll)), or a row-major
/// 4×4 homogeneous matrix in <see cref="M"/>. Exactly one form is set.
/// </summary>
/// <remarks>Frame: x forward, y left, z up; +pitch looks down, +yaw looks left, +roll tilts toward the robot's right.</remarks>
[JsonConverter(typeof(AnyPoseConverter))]
public sealed record AnyPose
{
    public double X { get; init; }
    public double Y { get; init; }
    public double Z { get; init; }
    public double Roll { get; init; }
    public double Pitch { get; init; }
    public double Yaw { get; init; }

    /// <summary>Row-major 4×4 matrix (16 values), when the pose is in matrix form; null for the XYZ-RPY form.</summary>
    public IReadOnlyList<double>? M { get; init; }

    /// <summary>True when this pose is the <c>{"m":[16]}</c> form.</summary>
    [JsonIgnore]
    public bool IsMatrix => M is not null;

    /// <summary>A pose in XYZ (metres) and roll/pitch/yaw (radians).</summary>
    public static AnyPose FromXyzRpy(double x, double y, double z, double roll, double pitch, double yaw)
        => new() { X = x, Y = y, Z = z, Roll = roll, Pitch = pitch, Yaw = yaw };

    /// <summary>A pose from a row-major 4×4 matrix.</summary>
    public static AnyPose FromMatrix(IReadOnlyList<double> rowMajor16)
    {
        ArgumentNullException.ThrowIfNull(rowMajor16);
        if (rowMajor16.Count != 16)
        {
            throw new ArgumentException($"A pose matrix has 16 values (got {rowMajor16.Count}).", nameof(rowMajor16));
        }
        return new() { M = rowMajor16.ToArray() };
    }
}

/// <summary>Reads <c>{"m":[…16]}</c> as the matrix form and any other object as XYZ-RPY (missing fields are 0), as Pydantic's smart union does.</summary>
public sealed class AnyPoseConverter : JsonConverter<AnyPose>
{
    public override AnyPose Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A pose is an object: {x,y,z,roll,pitch,yaw} or {m:[16 numbers]}.");
        }
        if (root.TryGetProperty("m", out var m))
        {
            if (m.ValueKind != JsonValueKind.Array || m.GetArrayLength() != 16)
            {
                throw new JsonException("Pose field 'm' must be an array of 16 numbers (row-major 4x4).");
            }
            var values = new double[16];
            var i = 0;
            foreach (var item in m.EnumerateArray())
            {
                values[i++] = ReadNumber(item, "m");
            }
            return new AnyPose { M = values };
        }
        return new AnyPose
        {
            X = Optional(root, "x"),
            Y = Optional(root, "y"),
            Z = Optional(root, "z"),
            Roll = Optional(root, "roll"),
            Pitch = Optional(root, "pitch"),
            Yaw = Optional(root, "yaw"),
        };
    }

    public override void Write(Utf8JsonWriter writer, AnyPose value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        if (value.M is { } m)
        {
            writer.WriteStartArray("m");
            foreach (var v in m)
            {
                writer.WriteNumberValue(v);
            }
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteNumber("x", value.X);
            writer.WriteNumber("y", value.Y);
            writer.WriteNumber("z", value.Z);
            writer.WriteNumber("roll", value.Roll);
            writer.WriteNumber("pitch", value.Pitch);
            writer.WriteNumber("yaw", value.Yaw);
        }
        writer.WriteEndObject();
    }

    private static double Optional(JsonElement root, string name)
        => root.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null ? ReadNumber(element, name) : 0.0;

    private static double ReadNumber(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var d) && double.IsFinite(d)
            ? d
            : throw new JsonException($"Pose field '{name}' must be a finite number.");
}
