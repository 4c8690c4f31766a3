using System.Text.Json.Serialization;

namespace RosaOS.Speech.Input;

/// <summary>The kernel's <c>POST /stt</c> body.</summary>
public sealed record SttCallback(string Text);

/// <summary>Source-generated JSON for the speech wire types (lower-case names as the original sends).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(SttCallback))]
[JsonSerializable(typeof(SpeechLoopStatus))]
public sealed partial class SpeechJson : JsonSerializerContext;
