using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Simulator.Datasets;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Api;

/// <summary><c>/api/move/*</c>: goto, set_target, running, stop, wake/sleep, recorded moves.</summary>
internal static class MoveEndpoints
{
    /// <summary>Longest goto accepted (s); the real daemon has no limit, a minute-long goto is always a mistake.</summary>
    public const double MaxDurationS = 60;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/move/goto", GotoAsync);
        app.MapPost("/api/move/set_target", SetTargetAsync);
        app.MapGet("/api/move/running", (MoveTasks tasks) => ApiJson.Ok(tasks.Running.Select(id => new MoveUuid { Uuid = id }).ToList()));
        app.MapPost("/api/move/stop", StopAsync);
        app.MapPost("/api/move/play/wake_up", (DaemonService daemon, MoveTasks tasks) => daemon.BackendRunning
            ? ApiJson.Ok(new MoveUuid { Uuid = tasks.Create("wake_up", null, Behaviours.WakeUpNominalS, Behaviours.WakeUp()) })
            : ApiJson.BackendNotRunning());
        app.MapPost("/api/move/play/goto_sleep", (DaemonService daemon, MoveTasks tasks) => daemon.BackendRunning
            ? ApiJson.Ok(new MoveUuid { Uuid = tasks.Create("goto_sleep", null, Behaviours.GotoSleepNominalS, Behaviours.GotoSleep()) })
            : ApiJson.BackendNotRunning());
        app.MapGet("/api/move/recorded-move-datasets/list/{**dataset}", async (string dataset, DatasetCatalog catalog, HttpContext context) =>
        {
            try
            {
                return ApiJson.Ok((await catalog.ListAsync(dataset, context.RequestAborted)).ToList());
            }
            catch (DatasetNotFoundException ex)
            {
                return ApiJson.Detail(404, ex.Message);
            }
        });
        app.MapPost("/api/move/play/recorded-move-dataset/{**path}", PlayRecorded);
    }

    /// <summary>Reads a goto/set_target-style pose, antennas and body yaw, clamping antennas and saying so in a header.</summary>
    internal static (double[]? Head, double[]? Antennas, double? BodyYaw) ReadTargets(
        FieldErrors errors, JsonObject body, string headField, string antennasField, string bodyYawField, HttpResponse? response)
    {
        var head = errors.Pose(body, headField, ["body"]);
        var antennas = errors.Numbers(body, antennasField, 2, ["body"]);
        if (antennas is not null && (errors.Angle(antennas[0], ["body", antennasField, 0], body[antennasField]) is null
            | errors.Angle(antennas[1], ["body", antennasField, 1], body[antennasField]) is null))
        {
            antennas = null;
        }
        var bodyYaw = errors.Angle(errors.Number(body, bodyYawField, ["body"]), ["body", bodyYawField], body[bodyYawField]);
        if (antennas is not null && RobotCore.ClampAntennas(antennas) && response is not null)
        {
            response.Headers["X-Rosa-Clamped"] = "antennas to +/-pi rad";
        }
        return (head, antennas, bodyYaw);
    }

    private static async Task<IResult> GotoAsync(HttpContext context, DaemonService daemon, MoveTasks tasks)
    {
        var (node, error) = await ApiJson.ReadBodyAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return error;
        }
        var errors = new FieldErrors();
        var body = errors.Object(node, ["body"]);
        if (body is null)
        {
            return errors.ToResult();
        }
        var (head, antennas, bodyYaw) = ReadTargets(errors, body, "head_pose", "antennas", "body_yaw", context.Response);
        var duration = errors.Number(body, "duration", ["body"], required: true);
        if (duration is { } d && !(d > 0))
        {
            errors.Add("greater_than", ["body", "duration"], "Input should be greater than 0", body["duration"], new JsonObject { ["gt"] = 0 });
        }
        else if (duration > MaxDurationS)
        {
            errors.Add("less_than_equal", ["body", "duration"], $"Input should be less than or equal to {MaxDurationS}", body["duration"], new JsonObject { ["le"] = MaxDurationS });
        }
        // The daemon's REST goto ignores `interpolation` (always minjerk) but still validates it.
        _ = ReadInterpolation(errors, body, "interpolation", ["body"]);
        if (errors.Any)
        {
            return errors.ToResult();
        }
        if (!daemon.BackendRunning)
        {
            return ApiJson.BackendNotRunning();
        }
        var id = tasks.Create("goto", null, duration!.Value,
            [new GotoStep(head, antennas, bodyYaw, duration.Value, InterpolationMethod.MinJerk)]);
        return ApiJson.Ok(new MoveUuid { Uuid = id });
    }

    /// <summary>An interpolation enum value (default minjerk) or an enum error.</summary>
    internal static InterpolationMethod ReadInterpolation(FieldErrors errors, JsonObject body, string field, object[] loc)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null)
        {
            return InterpolationMethod.MinJerk;
        }
        var text = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        switch (text)
        {
            case "linear":
                return InterpolationMethod.Linear;
            case "minjerk":
                return InterpolationMethod.MinJerk;
            case "ease_in_out":
                return InterpolationMethod.EaseInOut;
            case "cartoon":
                return InterpolationMethod.Cartoon;
            default:
                errors.Add("enum", [.. loc, field], "Input should be 'linear', 'minjerk', 'ease_in_out' or 'cartoon'", node,
                    new JsonObject { ["expected"] = "'linear', 'minjerk', 'ease_in_out' or 'cartoon'" });
                return InterpolationMethod.MinJerk;
        }
    }

    private static async Task<IResult> SetTargetAsync(HttpContext context, DaemonService daemon, RobotCore robot)
    {
        var (node, error) = await ApiJson.ReadBodyAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return error;
        }
        var errors = new FieldErrors();
        var body = errors.Object(node, ["body"]);
        if (body is null)
        {
            return errors.ToResult();
        }
        var (head, antennas, bodyYaw) = ReadTargets(errors, body, "target_head_pose", "target_antennas", "target_body_yaw", context.Response);
        if (errors.Any)
        {
            return errors.ToResult();
        }
        if (!daemon.BackendRunning)
        {
            return ApiJson.BackendNotRunning();
        }
        return robot.TrySetTarget(head, antennas, bodyYaw)
            ? ApiJson.Node(new JsonObject { ["status"] = "ok" })
            : ApiJson.Node(new JsonObject { ["status"] = "ignored", ["reason"] = "move_running" });
    }

    private static async Task<IResult> StopAsync(HttpContext context, MoveTasks tasks)
    {
        var (node, error) = await ApiJson.ReadBodyAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return error;
        }
        var errors = new FieldErrors();
        var body = errors.Object(node, ["body"]);
        if (body is null)
        {
            return errors.ToResult();
        }
        Guid id = default;
        if (!body.TryGetPropertyValue("uuid", out var uuidNode) || uuidNode is null)
        {
            errors.Add("missing", ["body", "uuid"], "Field required", body);
        }
        else if (uuidNode is not JsonValue v || !v.TryGetValue<string>(out var text) || !Guid.TryParse(text, out id))
        {
            errors.Add("uuid_parsing", ["body", "uuid"], "Input should be a valid UUID", uuidNode);
        }
        if (errors.Any)
        {
            return errors.ToResult();
        }
        // The real daemon crashes with a bare KeyError here (plain-text 500); we answer 500 with a JSON reason.
        return await tasks.StopAsync(id, context.RequestAborted)
            ? ApiJson.Node(new JsonObject { ["message"] = $"Stopped move with UUID: {id}" })
            : ApiJson.Detail(500, $"Running move with UUID {id} not found");
    }

    private static async Task<IResult> PlayRecorded(string path, DaemonService daemon, DatasetCatalog catalog, MoveTasks tasks, RobotCore robot, HttpContext context)
    {
        var slash = path.LastIndexOf('/');
        if (slash <= 0 || slash == path.Length - 1)
        {
            return ApiJson.Detail(404, "Not Found");
        }
        var dataset = path[..slash];
        var moveName = path[(slash + 1)..];
        if (!daemon.BackendRunning)
        {
            return ApiJson.BackendNotRunning();
        }
        RecordedMove move;
        try
        {
            // As the daemon on a cold cache: the first play of a dataset waits for its download.
            move = await catalog.GetAsync(dataset, moveName, context.RequestAborted);
        }
        catch (DatasetNotFoundException ex)
        {
            return ApiJson.Detail(404, ex.Message);
        }
        catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or IOException or InvalidOperationException or KeyNotFoundException)
        {
            return ApiJson.Detail(500, $"Move {moveName} of {dataset} is unreadable: {ex.Message}");
        }
        var id = tasks.Create("recorded", $"{dataset}/{moveName}", move.Duration, RecordedProgram(move, 0));
        return ApiJson.Ok(new MoveUuid { Uuid = id });
    }

    /// <summary>A recorded move as a program: optional goto to frame 0, sidecar sound, then the frames at 100 Hz.</summary>
    internal static IReadOnlyList<MoveStep> RecordedProgram(RecordedMove move, double initialGotoDuration)
    {
        var steps = new List<MoveStep>();
        if (initialGotoDuration > 0)
        {
            var first = move.Evaluate(0);
            steps.Add(new GotoStep(first.Head, first.Antennas, first.BodyYaw, initialGotoDuration, InterpolationMethod.MinJerk));
        }
        if (move.SoundPath is { } sound)
        {
            steps.Add(new ActionStep(r => r.Sound.PlayFile(sound)));
        }
        steps.Add(new PlayStep(move));
        return steps;
    }
}
