using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace RosaOS.Hosting;

/// <summary>
/// The fields of <c>GET /health</c> every service has; the service's own follow them in the order it gives them (tests,
/// <c>rosa status</c> and <c>rosa up</c> read them by name). Not an extension-data member: System.Text.Json refuses one on a
/// record with a constructor, so <see cref="RosaWebHost.MapRosaHealth"/> appends them to this record's JSON object.
/// </summary>
/// <param name="Status">Always "ok" (the service answers).</param>
/// <param name="Service">The service's name.</param>
/// <param name="Version">The rosaOS version.</param>
/// <param name="UptimeS">Seconds since start, rounded to 0.1.</param>
/// <param name="Pid">The process id.</param>
public sealed record HealthAnswer(string Status, string Service, string Version, double UptimeS, int Pid);

/// <summary>
/// Source-generated JSON for <see cref="HealthAnswer"/>, with the escaping ASP.NET Core's own JSON results use (what
/// <c>Results.Json</c> wrote before the record).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HealthAnswer))]
[JsonSerializable(typeof(JsonObject))]
public sealed partial class HealthJson : JsonSerializerContext
{
    /// <summary>Only what JSON requires is escaped.</summary>
    public static HealthJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, // as [JsonSourceGenerationOptions] above
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
