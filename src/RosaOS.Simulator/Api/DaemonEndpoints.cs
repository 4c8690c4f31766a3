using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Simulator.Audio;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Api;

/// <summary><c>/api/daemon</c>, <c>/api/motors</c>, <c>/api/kinematics</c>, <c>/api/volume</c>, <c>/api/media</c>, <c>/api/camera</c>, <c>/health-check</c>.</summary>
internal static class DaemonEndpoints
{
    private static readonly Lock s_volumeLock = new();
    private static int s_volume = 50;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/daemon/status", (DaemonService daemon) => ApiJson.Ok(daemon.Status()));
        app.MapPost("/api/daemon/start", (HttpContext context, DaemonService daemon) =>
        {
            var wakeUp = RequiredQueryBool(context.Request, "wake_up", out var error);
            return error ?? Job(daemon.Start(wakeUp));
        });
        app.MapPost("/api/daemon/stop", (HttpContext context, DaemonService daemon) =>
        {
            var sleep = RequiredQueryBool(context.Request, "goto_sleep", out var error);
            return error ?? Job(daemon.Stop(sleep));
        });
        app.MapPost("/api/daemon/restart", (DaemonService daemon) => Job(daemon.Restart()));
        app.MapGet("/api/daemon/robot-name", (DaemonService daemon) => ApiJson.Node(new JsonObject { ["name"] = daemon.RobotName }));
        app.MapPost("/api/daemon/robot-name", async (HttpContext context, DaemonService daemon) =>
        {
            var (node, error) = await ApiJson.ReadBodyAsync(context.Request, context.RequestAborted);
            if (error is not null)
            {
                return error;
            }
            var errors = new FieldErrors();
            var body = errors.Object(node, ["body"]);
            string? name = null;
            if (body is not null)
            {
                if (body["name"] is not JsonValue v || !v.TryGetValue<string>(out name))
                {
                    errors.Add(body.ContainsKey("name") ? "string_type" : "missing", ["body", "name"],
                        body.ContainsKey("name") ? "Input should be a valid string" : "Field required", body["name"]);
                }
                else if (name.Length is < 1 or > 64)
                {
                    errors.Add(name.Length < 1 ? "string_too_short" : "string_too_long", ["body", "name"],
                        name.Length < 1 ? "String should have at least 1 character" : "String should have at most 64 characters", name);
                }
            }
            if (errors.Any)
            {
                return errors.ToResult();
            }
            daemon.RobotName = name!;
            return ApiJson.Node(new JsonObject { ["name"] = name });
        });
        app.MapGet("/api/daemon/hardware-id", () => ApiJson.Node(new JsonObject { ["hardware_id"] = null }));
        app.MapGet("/api/apps/job-status/{id}", (string id, DaemonService daemon) =>
        {
            var job = Guid.TryParse(id, out var guid) ? daemon.Job(guid) : null;
            if (job is null)
            {
                return ApiJson.Detail(404, $"Job ID {id} not found");
            }
            var logs = new JsonArray();
            foreach (var line in job.Logs)
            {
                logs.Add((JsonNode?)JsonValue.Create(line)); // the non-generic Add: Add<T> is reflection-based, refused by Native AOT
            }
            return ApiJson.Node(new JsonObject { ["command"] = job.Command, ["status"] = job.Status, ["logs"] = logs });
        });

        app.MapGet("/api/motors/status", (DaemonService daemon, RobotCore robot)
            => daemon.BackendRunning ? ApiJson.Ok(new MotorStatus { Mode = robot.MotorMode }) : ApiJson.BackendNotRunning());
        app.MapPost("/api/motors/set_mode/{mode}", (string mode, DaemonService daemon, RobotCore robot) =>
        {
            MotorControlMode? parsed = mode switch
            {
                "enabled" => MotorControlMode.Enabled,
                "disabled" => MotorControlMode.Disabled,
                "gravity_compensation" => MotorControlMode.GravityCompensation,
                _ => null,
            };
            if (parsed is null)
            {
                var errors = new FieldErrors();
                errors.Add("enum", ["path", "mode"], "Input should be 'enabled', 'disabled' or 'gravity_compensation'", mode);
                return errors.ToResult();
            }
            if (!daemon.BackendRunning)
            {
                return ApiJson.BackendNotRunning();
            }
            robot.MotorMode = parsed.Value;
            // The mockup backend stores every mode, gravity compensation included (no physics to compensate).
            var member = parsed switch
            {
                MotorControlMode.Enabled => "Enabled",
                MotorControlMode.Disabled => "Disabled",
                _ => "GravityCompensation",
            };
            return ApiJson.Node(new JsonObject { ["status"] = $"motors changed to MotorControlMode.{member} mode" });
        });
        app.MapGet("/api/kinematics/info", (DaemonService daemon) => daemon.BackendRunning
            ? ApiJson.Node(new JsonObject { ["info"] = new JsonObject { ["engine"] = "AnalyticalKinematics", ["collision check"] = false } })
            : ApiJson.BackendNotRunning());

        app.MapGet("/api/volume/current", () => ApiJson.Ok(new VolumeResponse { Volume = Volume, Platform = "Linux", Device = "simulated" }));
        app.MapPost("/api/volume/set", async (HttpContext context, DaemonService daemon, VirtualSpeaker speaker) =>
        {
            var (node, error) = await ApiJson.ReadBodyAsync(context.Request, context.RequestAborted);
            if (error is not null)
            {
                return error;
            }
            var errors = new FieldErrors();
            var body = errors.Object(node, ["body"]);
            int volume = 0;
            if (body is not null)
            {
                if (!body.TryGetPropertyValue("volume", out var v) || v is null)
                {
                    errors.Add("missing", ["body", "volume"], "Field required", body);
                }
                else if (v is not JsonValue value || !value.TryGetValue<double>(out var d) || !double.IsFinite(d) || d != Math.Floor(d))
                {
                    errors.Add("int_type", ["body", "volume"], "Input should be a valid integer", v);
                }
                else if (d is < 0 or > 100)
                {
                    errors.Add(d < 0 ? "greater_than_equal" : "less_than_equal", ["body", "volume"],
                        d < 0 ? "Input should be greater than or equal to 0" : "Input should be less than or equal to 100", v);
                }
                else
                {
                    volume = (int)d;
                }
            }
            if (errors.Any)
            {
                return errors.ToResult();
            }
            Volume = volume;
            if (daemon.BackendRunning)
            {
                // The daemon plays a sample at the new volume on every call.
                speaker.PlayFile("impatient1.wav");
            }
            return ApiJson.Ok(new VolumeResponse { Volume = volume, Platform = "Linux", Device = "simulated" });
        });

        // No SDK media (WebRTC or IPC) is served, so none is reported (see DaemonService.Status).
        app.MapGet("/api/media/status", ()
            => ApiJson.Ok(new MediaStatus { Available = false, Released = false, NoMedia = true }));
        app.MapPost("/api/media/release", () => ApiJson.Node(new JsonObject { ["status"] = "ok" }));
        app.MapPost("/api/media/acquire", () => ApiJson.Node(new JsonObject { ["status"] = "ok" }));
        app.MapPost("/api/media/play_sound", async (HttpContext context, DaemonService daemon, VirtualSpeaker speaker) =>
        {
            var (node, error) = await ApiJson.ReadBodyAsync(context.Request, context.RequestAborted);
            if (error is not null)
            {
                return error;
            }
            var errors = new FieldErrors();
            var body = errors.Object(node, ["body"]);
            string? file = null;
            if (body is not null && (body["file"] is not JsonValue v || !v.TryGetValue<string>(out file) || file.Length == 0))
            {
                errors.Add(body.ContainsKey("file") ? "string_type" : "missing", ["body", "file"],
                    body.ContainsKey("file") ? "Input should be a valid string" : "Field required", body["file"]);
            }
            if (errors.Any)
            {
                return errors.ToResult();
            }
            if (!daemon.BackendRunning)
            {
                return ApiJson.BackendNotRunning();
            }
            speaker.PlayFile(file!);
            return ApiJson.Node(new JsonObject { ["status"] = "ok" });
        });
        app.MapPost("/api/media/stop_sound", (DaemonService daemon, VirtualSpeaker speaker) =>
        {
            if (!daemon.BackendRunning)
            {
                return ApiJson.BackendNotRunning();
            }
            speaker.Stop();
            return ApiJson.Node(new JsonObject { ["status"] = "ok" });
        });
        app.MapGet("/api/camera/specs", () => ApiJson.Ok(GenericCamera));
        app.MapPost("/health-check", () => ApiJson.Node(new JsonObject { ["status"] = "ok" }));
    }

    /// <summary>The mockup-sim's webcam specs (<c>GenericWebcamSpecs</c>).</summary>
    public static CameraSpecs GenericCamera { get; } = new()
    {
        Name = "generic",
        AvailableResolutions =
        [
            new ResolutionInfo { Name = "R1280x720at30fps", Width = 1280, Height = 720, Fps = 30, CropFactor = 1.0 },
            new ResolutionInfo { Name = "R1920x1080at30fps", Width = 1920, Height = 1080, Fps = 30, CropFactor = 1.0 },
        ],
        DefaultResolution = new ResolutionInfo { Name = "R1280x720at30fps", Width = 1280, Height = 720, Fps = 30, CropFactor = 1.0 },
        K = [[640.0, 0.0, 640.0], [0.0, 640.0, 360.0], [0.0, 0.0, 1.0]],
        D = [0.0, 0.0, 0.0, 0.0, 0.0],
    };

    private static int Volume
    {
        get
        {
            lock (s_volumeLock)
            {
                return s_volume;
            }
        }
        set
        {
            lock (s_volumeLock)
            {
                s_volume = value;
            }
        }
    }

    private static IResult Job(Guid? id)
        => id is { } job ? ApiJson.Node(new JsonObject { ["job_id"] = job.ToString() }) : ApiJson.Detail(409, "Daemon is busy.");

    private static bool RequiredQueryBool(HttpRequest request, string name, out IResult? error)
    {
        var errors = new FieldErrors();
        var value = ApiJson.QueryBool(request, name, errors);
        if (value is null && !errors.Any)
        {
            errors.Add("missing", ["query", name], "Field required", (string?)null);
        }
        error = errors.Any ? errors.ToResult() : null;
        return value ?? false;
    }
}
