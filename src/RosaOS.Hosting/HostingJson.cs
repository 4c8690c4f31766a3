using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace RosaOS.Hosting;

/// <summary>
/// Source-generated contracts of the bodies every service writes through this project: RequestGuard's refusals and the
/// plain values and JSON nodes services hand to ASP.NET Core (<c>GET /health</c> has its own typed answer, <c>HealthJson</c>). A JIT build resolves them by reflection as before (this resolver comes after it in
/// the chain); a trimmed or Native AOT build, where reflection-based JSON is off, finds them here.
/// </summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(JsonValue))]
public sealed partial class HostingJson : JsonSerializerContext;
