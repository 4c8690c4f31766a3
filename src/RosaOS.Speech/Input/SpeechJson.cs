using System.Text.Json.Serialization;

namespace RosaOS.Speech.Input;

/// <summary>The kernel's <c>POST /api/listening</c> body: whether the robot takes speech as a request now, why (wake_word, follow_up) and until when.</summary>
public sealed record ListeningNotice(bool Listening, string? Reason, DateTime? Until);

/// <summary>Source-generated JSON for the speech wire types (lower-case names as the original sends).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(SpeechLoopStatus))]
[JsonSerializable(typeof(ListeningNotice))]
public sealed partial class SpeechJson : JsonSerializerContext;
