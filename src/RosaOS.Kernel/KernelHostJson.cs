using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using RosaOS.EmergencyStop;

namespace RosaOS.Kernel;

/// <summary>One driver with an approval policy in <c>GET /api/approvals</c>; <c>problem</c> when its list could not be read.</summary>
public sealed record ApprovalDriverRow(string Driver, double? TimeoutSeconds, string? Problem);

/// <summary><c>GET /api/approvals</c>: the calls waiting for a person on every gated driver (oldest first), recent outcomes (newest first).</summary>
public sealed record ApprovalsAnswer(IReadOnlyList<PendingApproval> Pending, IReadOnlyList<ApprovalOutcome> Recent, IReadOnlyList<ApprovalDriverRow> Drivers);

/// <summary>
/// The kernel's answers whose records belong to the drivers' stop and approval contract (RosaOS.EmergencyStop, which
/// RosaOS.Kernel.Contracts does not reference) or to the kernel's stop coordinator: the stop's state and outcomes, the
/// approvals, and a driver's approval answer passed through. Same options as <see cref="Contracts.KernelJson.Relaxed"/>
/// (those records name their members with [JsonPropertyName], so the naming policy only applies to the kernel's own rows).
/// The live events (estop, estop_release, estop_state, approval, approval_decided) go out through <c>Default</c>, the default
/// encoder they were always written with.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(EstopStatus))]
[JsonSerializable(typeof(EstopOutcome))]
[JsonSerializable(typeof(ApprovalsAnswer))]
[JsonSerializable(typeof(PendingApproval))]
[JsonSerializable(typeof(ApprovalOutcome))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class KernelHostJson : JsonSerializerContext
{
    /// <summary>ASP.NET Core's escaping (only what JSON requires), as <see cref="Contracts.KernelJson.Relaxed"/>.</summary>
    public static KernelHostJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
