using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace RosaOS.Hosting;

/// <summary>
/// <c>GET /health</c> of every service: the common fields, then the service's own (<see cref="Extra"/>, written after them in the
/// order the service gives them, as before: tests, <c>rosa status</c> and the UI read them by name).
/// </summary>
/// <param name="Status">Always "ok" (the service answers).</param>
/// <param name="Service">The service's name.</param>
/// <param name="Version">The rosaOS version.</param>
/// <param name="UptimeS">Seconds since start, rounded to 0.1.</param>
/// <param name="Pid">The process id.</param>
public sealed record HealthAnswer(string Status, string Service, string Version, double UptimeS, int Pid)
{
    /// <summary>The service's own fields, each built from its source-generated context (or JSON nodes of primitives).</summary>
    [JsonExtensionData]
    public JsonObject? Extra { get; init; }
}

/// <summary>
/// Source-generated JSON for <see cref="HealthAnswer"/>, with the escaping ASP.NET Core's own JSON results use (what
/// <c>Results.Json</c> wrote before the record).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HealthAnswer))]
public sealed partial class HealthJson : JsonSerializerContext
{
    /// <summary>Only what JSON requires is escaped.</summary>
    public static HealthJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, // as [JsonSourceGenerationOptions] above
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
