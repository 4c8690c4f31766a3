using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Api;

/// <summary>
/// Simulation only: <c>POST /sim/head/hand</c>, a hand moving the head (a head pat). The measured head pose is displaced
/// for <c>hold_s</c> while the targets stay, which is how the real daemon reports a head pushed by hand.
/// </summary>
internal static class SimHandEndpoints
{
    public const double MaxAngleDeg = 30;
    public const double MaxOffsetMm = 20;
    public const double MaxHoldS = 10;

    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/sim/head/hand", HandAsync);

    private static async Task<IResult> HandAsync(HttpContext context, RobotCore robot)
    {
        var (body, error) = await ApiJson.ReadBodyAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return error;
        }
        var errors = new FieldErrors();
        if (errors.Object(body, ["body"]) is not { } obj)
        {
            return errors.ToResult();
        }
        var roll = errors.Bounded(obj, "roll_deg", ["body"], 0, -MaxAngleDeg, MaxAngleDeg, "roll_deg (degrees)");
        var pitch = errors.Bounded(obj, "pitch_deg", ["body"], 0, -MaxAngleDeg, MaxAngleDeg, "pitch_deg (degrees, + = head pushed down)");
        var yaw = errors.Bounded(obj, "yaw_deg", ["body"], 0, -MaxAngleDeg, MaxAngleDeg, "yaw_deg (degrees, + = left)");
        var z = errors.Bounded(obj, "z_mm", ["body"], 0, -MaxOffsetMm, MaxOffsetMm, "z_mm (millimetres, + = up)");
        var hold = errors.Bounded(obj, "hold_s", ["body"], 1.5, 0.05, MaxHoldS, "hold_s (seconds the hand holds the head)");
        if (errors.Any)
        {
            return errors.ToResult();
        }
        robot.MoveHeadByHand(roll * Math.PI / 180, pitch * Math.PI / 180, yaw * Math.PI / 180, z / 1000, TimeSpan.FromSeconds(hold));
        return ApiJson.Node(new JsonObject { ["roll_deg"] = roll, ["pitch_deg"] = pitch, ["yaw_deg"] = yaw, ["z_mm"] = z, ["hold_s"] = hold });
    }
}
