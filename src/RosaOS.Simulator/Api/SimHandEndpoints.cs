using System.Text.Json;
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
        if (body is not JsonObject obj)
        {
            errors.Add("model_attributes_type", ["body"], "Input should be a valid dictionary or object", body);
            return errors.ToResult();
        }
        double Read(string name, double fallback, double min, double max, string what)
        {
            if (!obj.TryGetPropertyValue(name, out var node) || node is null)
            {
                return fallback;
            }
            if (node.GetValueKind() != JsonValueKind.Number || !double.IsFinite(node.GetValue<double>()))
            {
                errors.Add("float_type", ["body", name], "Input should be a valid number", node);
                return fallback;
            }
            var value = node.GetValue<double>();
            if (value < min || value > max)
            {
                errors.Add("range", ["body", name], $"{what} must be from {min} to {max}", node);
            }
            return value;
        }
        var roll = Read("roll_deg", 0, -MaxAngleDeg, MaxAngleDeg, "roll_deg (degrees)");
        var pitch = Read("pitch_deg", 0, -MaxAngleDeg, MaxAngleDeg, "pitch_deg (degrees, + = head pushed down)");
        var yaw = Read("yaw_deg", 0, -MaxAngleDeg, MaxAngleDeg, "yaw_deg (degrees, + = left)");
        var z = Read("z_mm", 0, -MaxOffsetMm, MaxOffsetMm, "z_mm (millimetres, + = up)");
        var hold = Read("hold_s", 1.5, 0.05, MaxHoldS, "hold_s (seconds the hand holds the head)");
        if (errors.Any)
        {
            return errors.ToResult();
        }
        robot.MoveHeadByHand(roll * Math.PI / 180, pitch * Math.PI / 180, yaw * Math.PI / 180, z / 1000, TimeSpan.FromSeconds(hold));
        return ApiJson.Node(new JsonObject { ["roll_deg"] = roll, ["pitch_deg"] = pitch, ["yaw_deg"] = yaw, ["z_mm"] = z, ["hold_s"] = hold });
    }
}
