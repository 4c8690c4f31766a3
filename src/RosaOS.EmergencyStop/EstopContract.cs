using System.Text.Json;
using System.Text.Json.Serialization;

namespace RosaOS.EmergencyStop;

/// <summary>
/// The names of the stop contract: the HTTP path every driver serves on its own port, the MCP metadata key
/// that marks each tool's role, and the sources an engage can come from. See docs/architecture.md.
/// </summary>
public static class EstopContract
{
    /// <summary>HTTP base path on the driver's own port: <c>GET /estop</c>, <c>POST /estop/engage|halt|release</c>.</summary>
    public const string HttpPath = "/estop";

    /// <summary>Key of a tool's <c>_meta</c> entry (and of the server's experimental capability) that declares the contract.</summary>
    public const string MetaKey = "rosaos/estop";

    /// <summary>Version of the contract a driver declares.</summary>
    public const int Version = 1;

    /// <summary>Longest engage reason or release note kept.</summary>
    public const int MaxTextLength = 500;

    /// <summary>Roles a tool declares under <see cref="MetaKey"/>. There is deliberately no release role: no MCP tool may release.</summary>
    public static class Roles
    {
        /// <summary>The latching emergency stop.</summary>
        public const string Engage = "engage";

        /// <summary>Reads the latch.</summary>
        public const string State = "state";

        /// <summary>A non-latching stop of the present motion (stop_move, stop_robot).</summary>
        public const string Stop = "stop";

        /// <summary>Not read-only, but not motion either: keeps working while engaged (speak, cancel a goal).</summary>
        public const string Allowed = "allowed";
    }

    /// <summary>Who may engage or release, as written in the answer, the latch file and the audit log.</summary>
    public static class Sources
    {
        public const string Ui = "ui";
        public const string Cli = "cli";
        public const string Api = "api";
        public const string Agent = "agent";
        public const string Voice = "voice";
        public const string Kernel = "kernel";

        /// <summary>Only people release: through the UI (with a confirmation) or the command line.</summary>
        public static readonly IReadOnlyList<string> Releasers = [Ui, Cli];

        /// <summary>"from the UI", "from `rosa estop`", …, for the refusal sentence.</summary>
        public static string Describe(string? source) => source switch
        {
            Ui => "from the UI",
            Cli => "from rosa estop",
            Api => "through the kernel API",
            Agent => "by an agent's tool call",
            Voice => "by voice",
            Kernel => "by the kernel",
            null or "" => "from an unknown source",
            _ => $"from {source}",
        };
    }
}

/// <summary>A driver's latch as it is persisted and served by <c>GET /estop</c>.</summary>
public sealed record EstopState
{
    [JsonPropertyName("driver")]
    public required string Driver { get; init; }

    [JsonPropertyName("engaged")]
    public bool Engaged { get; init; }

    [JsonPropertyName("engaged_at")]
    public DateTimeOffset? EngagedAt { get; init; }

    [JsonPropertyName("source")]
    public string? Source { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("released_at")]
    public DateTimeOffset? ReleasedAt { get; init; }

    [JsonPropertyName("released_by")]
    public string? ReleasedBy { get; init; }

    /// <summary>Why motion tools refuse now (null when released); the sentence an agent sees.</summary>
    [JsonPropertyName("refusal")]
    public string? Refusal { get; init; }
}

/// <summary>Body of <c>POST /estop/engage</c> and <c>/estop/halt</c>.</summary>
public sealed record EngageRequest
{
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }
}

/// <summary>Body of <c>POST /estop/release</c>: a person (<c>by</c> ui or cli) who confirmed the robots are safe.</summary>
public sealed record ReleaseRequest
{
    [JsonPropertyName("by")]
    public required string By { get; init; }

    [JsonPropertyName("confirm")]
    public bool Confirm { get; init; }

    [JsonPropertyName("note")]
    public string? Note { get; init; }
}

/// <summary>What a driver did on engage (latched) or halt (not latched).</summary>
public sealed record StopAnswer
{
    [JsonPropertyName("driver")]
    public required string Driver { get; init; }

    /// <summary>True when the latch is engaged after this call (always after engage; unchanged by halt).</summary>
    [JsonPropertyName("engaged")]
    public bool Engaged { get; init; }

    /// <summary>True when the latch was already engaged before this call (engage is idempotent).</summary>
    [JsonPropertyName("already_engaged")]
    public bool AlreadyEngaged { get; init; }

    [JsonPropertyName("engaged_at")]
    public DateTimeOffset? EngagedAt { get; init; }

    [JsonPropertyName("source")]
    public string? Source { get; init; }

    /// <summary>False when the driver could not reach its robot: the robot was not stopped by this call.</summary>
    [JsonPropertyName("reachable")]
    public bool Reachable { get; init; }

    /// <summary>What was stopped, in words ("stopped goto_target (move …)", "zero velocity on /cmd_vel").</summary>
    [JsonPropertyName("stopped")]
    public IReadOnlyList<string> Stopped { get; init; } = [];

    /// <summary>What could not be done, in words.</summary>
    [JsonPropertyName("problems")]
    public IReadOnlyList<string> Problems { get; init; } = [];

    [JsonPropertyName("elapsed_ms")]
    public double ElapsedMs { get; init; }
}

/// <summary>Answer of <c>POST /estop/release</c>.</summary>
public sealed record ReleaseAnswer
{
    [JsonPropertyName("driver")]
    public required string Driver { get; init; }

    [JsonPropertyName("engaged")]
    public bool Engaged { get; init; }

    [JsonPropertyName("was_engaged")]
    public bool WasEngaged { get; init; }

    [JsonPropertyName("released_at")]
    public DateTimeOffset? ReleasedAt { get; init; }

    [JsonPropertyName("released_by")]
    public string? ReleasedBy { get; init; }
}

/// <summary>A 4xx answer of the estop endpoints.</summary>
public sealed record EstopError([property: JsonPropertyName("error")] string Error);

/// <summary>The driver's declaration in the MCP server's experimental capabilities.</summary>
public sealed record EstopCapability
{
    [JsonPropertyName("version")]
    public int Version { get; init; } = EstopContract.Version;

    /// <summary>The HTTP base path on the driver's own port.</summary>
    [JsonPropertyName("http")]
    public string Http { get; init; } = EstopContract.HttpPath;
}

/// <summary>Source-generated JSON for every wire type of the contract.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never, PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(EstopState))]
[JsonSerializable(typeof(EngageRequest))]
[JsonSerializable(typeof(ReleaseRequest))]
[JsonSerializable(typeof(StopAnswer))]
[JsonSerializable(typeof(ReleaseAnswer))]
[JsonSerializable(typeof(EstopError))]
[JsonSerializable(typeof(EstopCapability))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class EstopJson : JsonSerializerContext;
