using System.Text.Json;
using System.Text.Json.Serialization;

namespace RosaOS.ReachyMini.Protocol;

/// <summary>JSON settings of the daemon's wire format: snake_case names, nulls written, no trailing commas or comments.</summary>
public static class ReachyJson
{
    /// <summary>Options for reading and writing daemon messages.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            NumberHandling = JsonNumberHandling.Strict,
            TypeInfoResolver = ReachyJsonContext.Default,
        };
        options.Converters.Add(new UtcTimestampConverter());
        options.MakeReadOnly();
        return options;
    }
}

/// <summary>Writes timestamps as Pydantic does for UTC datetimes: ISO-8601 with microseconds and a Z suffix.</summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.String && DateTimeOffset.TryParse(reader.GetString(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new JsonException("A timestamp is an ISO-8601 string.");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(AnyPose))]
[JsonSerializable(typeof(DaemonStatus))]
[JsonSerializable(typeof(FullState))]
[JsonSerializable(typeof(FullBodyTarget))]
[JsonSerializable(typeof(GotoRequest))]
[JsonSerializable(typeof(MoveUuid))]
[JsonSerializable(typeof(List<MoveUuid>))]
[JsonSerializable(typeof(MoveUpdate))]
[JsonSerializable(typeof(MotorStatus))]
[JsonSerializable(typeof(VolumeResponse))]
[JsonSerializable(typeof(MediaStatus))]
[JsonSerializable(typeof(CameraSpecs))]
[JsonSerializable(typeof(DoaInfo))]
[JsonSerializable(typeof(JointPositionsMessage))]
[JsonSerializable(typeof(HeadPoseMessage))]
[JsonSerializable(typeof(TaskProgressMessage))]
[JsonSerializable(typeof(SpeakerLogEntry))]
[JsonSerializable(typeof(List<SpeakerLogEntry>))]
[JsonSerializable(typeof(MoveLogEntry))]
[JsonSerializable(typeof(List<MoveLogEntry>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<double>))]
[JsonSerializable(typeof(double))]
internal sealed partial class ReachyJsonContext : JsonSerializerContext;
