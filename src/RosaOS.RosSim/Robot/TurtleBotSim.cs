using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RosaOS.RosSim.Graph;

namespace RosaOS.RosSim.Robot;

/// <summary>A snapshot of the simulated robot for the map and the tests.</summary>
public sealed record RobotState(
    double X, double Y, double Yaw, double Linear, double Angular, double Battery, bool Docked, bool Charging,
    int Bumps, string? LastBump, IReadOnlyList<(double X, double Y)> Trail, IReadOnlyList<(double X, double Y)> Plan, string? Activity);

/// <summary>
/// A TurtleBot 4 (Create 3 base) in a 2D room, as its ROS 2 interfaces show it: <c>/cmd_vel</c> with the base's 0.5 s
/// watchdog and speed limit, <c>/odom</c> and <c>/tf</c> at 20 Hz, <c>/battery_state</c> draining with motion and charging on
/// the dock, <c>/hazard_detection</c> with bumper hits, <c>/dock_status</c>, the <c>/dock</c> and <c>/undock</c> actions, Nav2's
/// <c>/navigate_to_pose</c> with feedback, parameters, and the OAK-D preview camera.
/// </summary>
public sealed partial class TurtleBotSim : IAsyncDisposable
{
    /// <summary>The Create 3 drops a velocity command this long after it arrived.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(0.5);

    /// <summary>The TurtleBot 4 kind (the default).</summary>
    public const string TurtleBot4 = "turtlebot4";

    /// <summary>The small legged robot kind: no dock, walked by <c>/puppy/move_distance_trigger</c> and <c>/puppy/rotate_angle_trigger</c>.</summary>
    public const string Dog = "dog";

    private const string BaseNode = "/motion_control";
    private const string PuppyNode = "/puppy_control";
    private const string SimNode = "/rossim";
    private readonly RosGraph _graph;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<(double X, double Y)> _trail = [];
    private readonly CancellationTokenSource _life = new();
    private readonly RosCamera? _camera;
    private Task? _loop;
    private double _x;
    private double _y;
    private double _yaw;
    private double _cmdLinear;
    private double _cmdAngular;
    private double _linear;
    private double _angular;
    private long _lastCommand = long.MinValue;
    private double _battery = 0.9;
    private bool _docked = true;
    private int _bumps;
    private string? _lastBump;
    private long _lastBumpAt = long.MinValue;
    private IReadOnlyList<(double X, double Y)> _plan = [];
    private string? _activity;
    private int _tick;
    private int _disposed;
    private readonly SemaphoreSlim _motionGoal = new(1, 1);

    /// <summary>Creates the robot docked, and registers its topics, actions and parameters on <paramref name="graph"/>.</summary>
    public TurtleBotSim(RosGraph graph, World world, TimeProvider time, ILogger logger, RosCamera? camera, string kind = TurtleBot4)
    {
        _graph = graph;
        World = world;
        _time = time;
        _logger = logger;
        _camera = camera;
        Kind = kind;
        if (IsDog)
        {
            // The dog has no dock: it starts in the middle of the room, facing north.
            (_x, _y, _yaw) = (0, 0, Math.PI / 2);
            _docked = false;
        }
        else
        {
            (_x, _y, _yaw) = world.DockPose;
        }
        Register();
    }

    /// <summary>"turtlebot4" or "dog".</summary>
    public string Kind { get; }

    private bool IsDog => Kind == Dog;

    /// <summary>The camera's topic: the OAK-D preview on the TurtleBot 4, the dog's USB camera (as the shipped dog entry names it).</summary>
    public string CameraTopic => IsDog ? "/image_raw/compressed" : "/oakd/rgb/preview/image_raw/compressed";

    /// <summary>The world the robot drives in.</summary>
    public World World { get; }

    /// <summary>The robot now.</summary>
    public RobotState State
    {
        get
        {
            lock (_lock)
            {
                return new RobotState(_x, _y, _yaw, _linear, _angular, _battery, _docked, _docked && _battery < 1, _bumps, _lastBump, [.. _trail], _plan, _activity);
            }
        }
    }

    /// <summary>Starts the 20 Hz physics and publishing loop.</summary>
    public void Start() => _loop ??= Task.Run(() => LoopAsync(_life.Token));

    /// <summary>Places the robot (tests and the map's "reset").</summary>
    public void Teleport(double x, double y, double yaw)
    {
        lock (_lock)
        {
            (_x, _y, _yaw) = (x, y, yaw);
            _docked = !IsDog && DistanceToDockPose() < 0.05;
            _trail.Clear();
        }
    }

    /// <summary>Sets the battery level (0..1), for tests.</summary>
    public void SetBattery(double level)
    {
        lock (_lock)
        {
            _battery = Math.Clamp(level, 0, 1);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _life.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        _life.Dispose();
        _motionGoal.Dispose();
    }

    private double Param(string node, string name, double fallback)
        => _graph.GetParameter(node, name) is (true, JsonValue v) && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : fallback;

    private void Register()
    {
        foreach (var node in new[] { BaseNode, "/robot_state", "/oakd", "/nav2", "/docking", SimNode })
        {
            _graph.AddNode(node);
        }
        _graph.DeclareParameter(BaseNode, "max_speed", IsDog ? 0.2 : 0.306);
        _graph.DeclareParameter(BaseNode, "max_angular_speed", 1.9);
        _graph.DeclareParameter(BaseNode, "safety_override", "none");
        _graph.DeclareParameter(BaseNode, "use_sim_time", false);
        _graph.DeclareParameter(SimNode, "battery_drain_per_metre", 0.01);
        _graph.DeclareParameter(SimNode, "battery_drain_per_second", 0.0002);
        _graph.DeclareParameter(SimNode, "battery_charge_per_second", 0.005);
        _graph.DeclareParameter("/oakd", "fps", 5.0);
        _graph.DeclareParameter("/nav2", "max_speed", 0.3);
        _graph.AddPublisher("/odom", "nav_msgs/msg/Odometry", BaseNode);
        _graph.AddPublisher("/tf", "tf2_msgs/msg/TFMessage", BaseNode);
        _graph.AddPublisher("/battery_state", "sensor_msgs/msg/BatteryState", "/robot_state");
        _graph.AddPublisher("/hazard_detection", "irobot_create_msgs/msg/HazardDetectionVector", BaseNode);
        if (!IsDog)
        {
            _graph.AddPublisher("/dock_status", "irobot_create_msgs/msg/DockStatus", "/docking");
        }
        _graph.AddPublisher("/plan", "nav_msgs/msg/Path", "/nav2");
        _graph.AddPublisher(CameraTopic, "sensor_msgs/msg/CompressedImage", "/oakd");
        _graph.GetOrAddTopic("/cmd_vel", "geometry_msgs/msg/Twist")!.Listen(BaseNode, OnCmdVel);
        foreach (var node in _graph.ParameterNodes.ToList())
        {
            _graph.AddService($"{node}/list_parameters", "rcl_interfaces/srv/ListParameters", node, (_, _) => Task.FromResult(new JsonObject
            {
                ["result"] = new JsonObject { ["names"] = new JsonArray([.. _graph.ParameterNames(node).Select(n => JsonValue.Create(n))]), ["prefixes"] = new JsonArray() },
            }));
        }
        _graph.AddService("/rossim/reset_pose", "std_srvs/srv/Trigger", SimNode, (_, _) =>
        {
            Teleport(World.DockPose.X, World.DockPose.Y, World.DockPose.Yaw);
            return Task.FromResult(new JsonObject { ["success"] = true, ["message"] = "back on the dock" });
        });
        _graph.AddAction("/navigate_to_pose", "nav2_msgs/action/NavigateToPose", "/nav2", NavigateAsync);
        if (IsDog)
        {
            _graph.AddNode(PuppyNode);
            _graph.AddService("/puppy/move_distance_trigger", "puppy_control_msgs/srv/MoveDistanceTrigger", PuppyNode, WalkAsync);
            _graph.AddService("/puppy/rotate_angle_trigger", "puppy_control_msgs/srv/RotateAngleTrigger", PuppyNode, RotateAsync);
        }
        else
        {
            _graph.AddAction("/dock", "irobot_create_msgs/action/Dock", "/docking", DockAsync);
            _graph.AddAction("/undock", "irobot_create_msgs/action/Undock", "/docking", UndockAsync);
        }
    }

    private void OnCmdVel(JsonObject twist)
    {
        var linear = twist["linear"]?["x"]?.GetValue<double>() ?? 0;
        var angular = twist["angular"]?["z"]?.GetValue<double>() ?? 0;
        SetCommand(linear, angular);
    }

    private void SetCommand(double linear, double angular)
    {
        var maxLinear = Param(BaseNode, "max_speed", 0.306);
        var maxAngular = Param(BaseNode, "max_angular_speed", 1.9);
        lock (_lock)
        {
            _cmdLinear = double.IsFinite(linear) ? Math.Clamp(linear, -maxLinear, maxLinear) : 0;
            _cmdAngular = double.IsFinite(angular) ? Math.Clamp(angular, -maxAngular, maxAngular) : 0;
            _lastCommand = _time.GetTimestamp();
        }
    }

    /// <summary>Advances the simulation by <paramref name="dt"/> seconds (the loop calls it every 50 ms; tests may call it directly).</summary>
    internal void Step(double dt)
    {
        var drainPerMetre = Param(SimNode, "battery_drain_per_metre", 0.01);
        var drainPerSecond = Param(SimNode, "battery_drain_per_second", 0.0002);
        var chargePerSecond = Param(SimNode, "battery_charge_per_second", 0.005);
        JsonObject? bump = null;
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var fresh = _lastCommand != long.MinValue && _time.GetElapsedTime(_lastCommand, now) <= CommandTimeout;
            (_linear, _angular) = fresh && _battery > 0 ? (_cmdLinear, _cmdAngular) : (0, 0);
            var yaw = NormalizeAngle(_yaw + (_angular * dt));
            var nx = _x + (_linear * Math.Cos(yaw) * dt);
            var ny = _y + (_linear * Math.Sin(yaw) * dt);
            var contact = World.Contact(nx, ny);
            var moveDir = _linear >= 0 ? yaw : yaw + Math.PI;
            if (contact is { } c && Math.Abs(_linear) > 1e-6 && Math.Cos(c.Direction - moveDir) > 0)
            {
                // The bumper stops the base against the wall or obstacle.
                _yaw = yaw;
                _linear = 0;
                var relative = NormalizeAngle(c.Direction - yaw);
                var frame = relative switch
                {
                    > 1.0 => "bump_left",
                    > 0.3 => "bump_front_left",
                    < -1.0 => "bump_right",
                    < -0.3 => "bump_front_right",
                    _ => "bump_front_center",
                };
                if (_lastBumpAt == long.MinValue || _time.GetElapsedTime(_lastBumpAt, now).TotalSeconds > 0.5)
                {
                    _bumps++;
                    LogBump(c.What, frame);
                }
                _lastBumpAt = now;
                _lastBump = $"{c.What} ({frame})";
                bump = new JsonObject { ["header"] = Header(frame), ["type"] = 1 };
            }
            else
            {
                var travelled = Math.Sqrt(((nx - _x) * (nx - _x)) + ((ny - _y) * (ny - _y)));
                (_x, _y, _yaw) = (nx, ny, yaw);
                _battery -= travelled * drainPerMetre;
                if (_trail.Count == 0 || Math.Abs(_trail[^1].X - _x) + Math.Abs(_trail[^1].Y - _y) > 0.05)
                {
                    _trail.Add((_x, _y));
                    if (_trail.Count > 2000)
                    {
                        _trail.RemoveRange(0, 500);
                    }
                }
            }
            _docked = !IsDog && DistanceToDockPose() < 0.08;
            _battery = Math.Clamp(_docked ? _battery + (chargePerSecond * dt) : _battery - (drainPerSecond * dt), 0, 1);
        }
        var hazards = new JsonObject { ["header"] = Header("base_link"), ["detections"] = bump is null ? new JsonArray() : new JsonArray(bump) };
        _tick++;
        PublishOdometry();
        if (bump is not null || _tick % 2 == 0)
        {
            _graph.Publish("/hazard_detection", "irobot_create_msgs/msg/HazardDetectionVector", hazards);
        }
        if (_tick % 20 == 0)
        {
            PublishBatteryAndDock();
        }
        var fps = Math.Clamp(Param("/oakd", "fps", 5), 0.5, 20);
        if (_camera is not null && _tick % Math.Max(1, (int)Math.Round(20 / fps)) == 0
            && _graph.FindTopic(CameraTopic) is { ListenerCount: > 0 })
        {
            PublishCamera();
        }
    }

    /// <summary>Publishes one camera frame of the present pose (also used by tests through a subscription).</summary>
    internal void PublishCamera()
    {
        if (_camera is null)
        {
            return;
        }
        var state = State;
        var jpeg = _camera.Render(World, state.X, state.Y, state.Yaw);
        if (jpeg is null)
        {
            return;
        }
        _graph.Publish(CameraTopic, "sensor_msgs/msg/CompressedImage", new JsonObject
        {
            ["header"] = Header("oakd_rgb_camera_optical_frame"),
            ["format"] = "bgr8; jpeg compressed bgr8",
            ["data"] = Convert.ToBase64String(jpeg),
        });
    }

    private void PublishOdometry()
    {
        var s = State;
        var q = Quaternion(s.Yaw);
        var position = new JsonObject { ["x"] = s.X, ["y"] = s.Y, ["z"] = 0.0 };
        _graph.Publish("/odom", "nav_msgs/msg/Odometry", new JsonObject
        {
            ["header"] = Header("odom"),
            ["child_frame_id"] = "base_link",
            ["pose"] = new JsonObject { ["pose"] = new JsonObject { ["position"] = position, ["orientation"] = q }, ["covariance"] = Zeros(36) },
            ["twist"] = new JsonObject
            {
                ["twist"] = new JsonObject { ["linear"] = Vector(s.Linear, 0, 0), ["angular"] = Vector(0, 0, s.Angular) },
                ["covariance"] = Zeros(36),
            },
        });
        _graph.Publish("/tf", "tf2_msgs/msg/TFMessage", new JsonObject
        {
            ["transforms"] = new JsonArray(new JsonObject
            {
                ["header"] = Header("odom"),
                ["child_frame_id"] = "base_link",
                ["transform"] = new JsonObject { ["translation"] = Vector(s.X, s.Y, 0), ["rotation"] = Quaternion(s.Yaw) },
            }),
        });
    }

    private void PublishBatteryAndDock()
    {
        var s = State;
        _graph.Publish("/battery_state", "sensor_msgs/msg/BatteryState", new JsonObject
        {
            ["header"] = Header("base_link"),
            ["voltage"] = 14.0 + (2.4 * s.Battery),
            ["temperature"] = 30.0,
            ["current"] = s.Charging ? 1.2 : -0.4 - (Math.Abs(s.Linear) * 2),
            ["charge"] = 2.0 * s.Battery,
            ["capacity"] = 2.0,
            ["design_capacity"] = 2.0,
            ["percentage"] = Math.Round(s.Battery, 4),
            ["power_supply_status"] = s.Charging ? 1 : s.Docked ? 4 : 2,
            ["power_supply_health"] = 1,
            ["power_supply_technology"] = 2,
            ["present"] = true,
            ["cell_voltage"] = new JsonArray(),
            ["cell_temperature"] = new JsonArray(),
            ["location"] = "",
            ["serial_number"] = "",
        });
        if (IsDog)
        {
            return;
        }
        var (dx, dy) = (World.Dock.X - s.X, World.Dock.Y - s.Y);
        var visible = Math.Sqrt((dx * dx) + (dy * dy)) < 3.0 && Math.Cos(Math.Atan2(dy, dx) - s.Yaw) > Math.Cos(0.6);
        _graph.Publish("/dock_status", "irobot_create_msgs/msg/DockStatus", new JsonObject
        {
            ["header"] = Header("base_link"),
            ["dock_visible"] = visible || s.Docked,
            ["is_docked"] = s.Docked,
        });
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50), _time);
        var last = _time.GetTimestamp();
        PublishBatteryAndDock();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = _time.GetTimestamp();
                var dt = Math.Min(_time.GetElapsedTime(last, now).TotalSeconds, 0.2);
                last = now;
                try
                {
                    Step(dt);
                }
                catch (Exception ex) when (ex is InvalidOperationException or OpenCvSharp.OpenCVException)
                {
                    LogStepFailed(ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<(int, JsonObject)> DockAsync(JsonObject goal, Func<JsonObject, Task> feedback, CancellationToken cancellationToken)
    {
        if (State.Docked)
        {
            return (4, new JsonObject { ["is_docked"] = true });
        }
        var s = State;
        var staging = (X: World.DockPose.X, Y: World.DockPose.Y + 0.6);
        if (Math.Sqrt(Math.Pow(staging.X - s.X, 2) + Math.Pow(staging.Y - s.Y, 2)) > 3.5)
        {
            return (6, new JsonObject { ["is_docked"] = false });
        }
        await feedback(new JsonObject { ["sees_dock"] = true });
        var reached = await DriveAsync("docking", [staging], World.DockPose.Yaw, null, false, cancellationToken);
        if (reached is not 4)
        {
            return (reached, new JsonObject { ["is_docked"] = false });
        }
        await feedback(new JsonObject { ["sees_dock"] = true });
        reached = await DriveAsync("docking", [(World.DockPose.X, World.DockPose.Y)], World.DockPose.Yaw, null, false, cancellationToken);
        return (reached, new JsonObject { ["is_docked"] = State.Docked });
    }

    private async Task<(int, JsonObject)> UndockAsync(JsonObject goal, Func<JsonObject, Task> feedback, CancellationToken cancellationToken)
    {
        if (!State.Docked)
        {
            return (6, new JsonObject { ["is_docked"] = false });
        }
        var s = State;
        var back = (s.X - (0.45 * Math.Cos(s.Yaw)), s.Y - (0.45 * Math.Sin(s.Yaw)));
        var reached = await DriveAsync("undocking", [back], NormalizeAngle(s.Yaw + Math.PI), null, true, cancellationToken);
        return (reached, new JsonObject { ["is_docked"] = State.Docked });
    }

    /// <summary>
    /// The dog's <c>/puppy/move_distance_trigger</c>: walks <c>distance</c> centimetres (negative: backwards, as the shipped dog
    /// prompt says, "distance = 5 is 5cm") at <c>speed</c> m/s (capped by the base's max_speed), answering once the walk ends.
    /// </summary>
    private async Task<JsonObject> WalkAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var distance = Number(request["distance"], 0) / 100;
        var speed = Number(request["speed"], 0.1);
        if (!double.IsFinite(distance) || !double.IsFinite(speed) || speed <= 0)
        {
            return new JsonObject { ["success"] = false, ["message"] = $"distance must be finite and speed above 0, got {distance * 100} cm at {speed} m/s" };
        }
        if (Math.Abs(distance) < 0.005)
        {
            return new JsonObject { ["success"] = true, ["message"] = "already there" };
        }
        var s = State;
        var target = (s.X + (distance * Math.Cos(s.Yaw)), s.Y + (distance * Math.Sin(s.Yaw)));
        var status = await DriveAsync("walking", [target], null, null, distance < 0, cancellationToken, Math.Min(speed, Param(BaseNode, "max_speed", 0.2)), tolerance: 0.005);
        return status == 4
            ? new JsonObject { ["success"] = true, ["message"] = $"walked {distance * 100:0.#} cm" }
            : new JsonObject { ["success"] = false, ["message"] = status == 6 && State.Bumps > s.Bumps ? "stopped: bumped into something" : "stopped before the distance (another motion runs, or cancelled)" };
    }

    private static double Number(JsonNode? node, double fallback)
        => node is JsonValue && double.TryParse(node.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>The dog's <c>/puppy/rotate_angle_trigger</c>: turns on the spot by <c>angle</c> degrees (positive: left).</summary>
    private async Task<JsonObject> RotateAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var angle = Number(request["angle"], 0);
        if (!double.IsFinite(angle))
        {
            return new JsonObject { ["success"] = false, ["message"] = "angle must be finite" };
        }
        var target = NormalizeAngle(State.Yaw + (angle * Math.PI / 180));
        var status = await DriveAsync("turning", [], target, null, false, cancellationToken);
        return status == 4
            ? new JsonObject { ["success"] = true, ["message"] = $"turned {angle:0.#} degrees" }
            : new JsonObject { ["success"] = false, ["message"] = "stopped before the angle (another motion runs, or cancelled)" };
    }

    private async Task<(int, JsonObject)> NavigateAsync(JsonObject goal, Func<JsonObject, Task> feedback, CancellationToken cancellationToken)
    {
        var pose = goal["pose"]?["pose"];
        var tx = pose?["position"]?["x"]?.GetValue<double>() ?? 0;
        var ty = pose?["position"]?["y"]?.GetValue<double>() ?? 0;
        var q = pose?["orientation"];
        double? yaw = q is null ? null : YawOf(q);
        if (!double.IsFinite(tx) || !double.IsFinite(ty))
        {
            return (6, NavResult(1, "goal position is not finite"));
        }
        var s = State;
        var path = World.Plan((s.X, s.Y), (tx, ty));
        if (path is null)
        {
            return (6, NavResult(201, $"no path from ({s.X:0.00}, {s.Y:0.00}) to ({tx:0.00}, {ty:0.00}): the goal is blocked or outside the room"));
        }
        var started = _time.GetTimestamp();
        var status = await DriveAsync("navigating", path, yaw, async remaining =>
        {
            var now = State;
            var elapsed = _time.GetElapsedTime(started);
            await feedback(new JsonObject
            {
                ["current_pose"] = new JsonObject
                {
                    ["header"] = Header("map"),
                    ["pose"] = new JsonObject { ["position"] = Vector(now.X, now.Y, 0), ["orientation"] = Quaternion(now.Yaw) },
                },
                ["navigation_time"] = Duration(elapsed.TotalSeconds),
                ["estimated_time_remaining"] = Duration(remaining / 0.3),
                ["number_of_recoveries"] = 0,
                ["distance_remaining"] = Math.Round(remaining, 3),
            });
        }, false, cancellationToken);
        return status switch
        {
            4 => (4, NavResult(0, "")),
            5 => (5, NavResult(0, "")),
            _ => (6, NavResult(202, "blocked on the way")),
        };
    }

    private static JsonObject NavResult(int code, string message) => new() { ["error_code"] = code, ["error_msg"] = message };

    /// <summary>Follows waypoints (turn, then drive) with velocity commands, then turns to <paramref name="finalYaw"/>; returns a GoalStatus.</summary>
    private async Task<int> DriveAsync(string activity, IReadOnlyList<(double X, double Y)> waypoints, double? finalYaw,
        Func<double, Task>? feedback, bool reverse, CancellationToken cancellationToken, double? speedLimit = null, double tolerance = 0.04)
    {
        if (!await _motionGoal.WaitAsync(0, cancellationToken))
        {
            return 6;
        }
        lock (_lock)
        {
            _plan = waypoints;
            _activity = activity;
        }
        var path = new JsonObject { ["header"] = Header("map"), ["poses"] = new JsonArray([.. waypoints.Select(w => (JsonNode)new JsonObject { ["header"] = Header("map"), ["pose"] = new JsonObject { ["position"] = Vector(w.X, w.Y, 0), ["orientation"] = Quaternion(0) } })]) };
        _graph.Publish("/plan", "nav_msgs/msg/Path", path, latch: true);
        var bumpsAtStart = State.Bumps;
        var lastFeedback = long.MinValue;
        try
        {
            var index = 0;
            var speed = Math.Min(Param("/nav2", "max_speed", 0.3), speedLimit ?? double.PositiveInfinity);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var s = State;
                if (State.Bumps > bumpsAtStart + 2)
                {
                    return 6;
                }
                double linear = 0, angular = 0;
                var remaining = 0.0;
                if (index < waypoints.Count)
                {
                    var (wx, wy) = waypoints[index];
                    var (dx, dy) = (wx - s.X, wy - s.Y);
                    var distance = Math.Sqrt((dx * dx) + (dy * dy));
                    remaining = distance + waypoints.Skip(index + 1).Zip(waypoints.Skip(index), (b, a) => Math.Sqrt(Math.Pow(b.X - a.X, 2) + Math.Pow(b.Y - a.Y, 2))).Sum();
                    if (distance < tolerance)
                    {
                        index++;
                        continue;
                    }
                    var heading = Math.Atan2(dy, dx);
                    if (reverse)
                    {
                        heading = NormalizeAngle(heading + Math.PI);
                    }
                    var error = NormalizeAngle(heading - s.Yaw);
                    angular = Math.Clamp(2.5 * error, -1.5, 1.5);
                    linear = Math.Abs(error) < 0.3 ? Math.Min(speed, distance * 1.5 + 0.03) * (reverse ? -1 : 1) : 0;
                }
                else if (finalYaw is { } target && Math.Abs(NormalizeAngle(target - s.Yaw)) > 0.03)
                {
                    angular = Math.Clamp(2.5 * NormalizeAngle(target - s.Yaw), -1.5, 1.5);
                }
                else
                {
                    SetCommand(0, 0);
                    return 4;
                }
                SetCommand(linear, angular);
                if (feedback is not null && (lastFeedback == long.MinValue || _time.GetElapsedTime(lastFeedback).TotalMilliseconds >= 400))
                {
                    lastFeedback = _time.GetTimestamp();
                    await feedback(remaining);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (!_life.IsCancellationRequested)
        {
            return 5;
        }
        finally
        {
            SetCommand(0, 0);
            lock (_lock)
            {
                _plan = [];
                _activity = null;
            }
            _motionGoal.Release();
        }
    }

    private double DistanceToDockPose() => Math.Sqrt(Math.Pow(_x - World.DockPose.X, 2) + Math.Pow(_y - World.DockPose.Y, 2));

    private JsonObject Header(string frame) => new() { ["stamp"] = RosApiNode.Stamp(_time.GetUtcNow()), ["frame_id"] = frame };

    private static JsonObject Duration(double seconds)
    {
        seconds = Math.Max(0, double.IsFinite(seconds) ? seconds : 0);
        var whole = Math.Floor(seconds);
        return new JsonObject { ["sec"] = (int)whole, ["nanosec"] = (uint)((seconds - whole) * 1e9) };
    }

    private static JsonObject Vector(double x, double y, double z) => new() { ["x"] = x, ["y"] = y, ["z"] = z };

    private static JsonObject Quaternion(double yaw) => new() { ["x"] = 0.0, ["y"] = 0.0, ["z"] = Math.Sin(yaw / 2), ["w"] = Math.Cos(yaw / 2) };

    private static JsonArray Zeros(int n) => new([.. Enumerable.Repeat(0.0, n).Select(v => JsonValue.Create(v))]);

    /// <summary>The yaw of a quaternion object (x, y, z, w).</summary>
    public static double? YawOf(JsonNode q)
    {
        double Get(string k) => q[k] is JsonValue v && v.TryGetValue<double>(out var d) ? d : 0;
        var (x, y, z, w) = (Get("x"), Get("y"), Get("z"), Get("w"));
        if (x == 0 && y == 0 && z == 0 && w == 0)
        {
            return null;
        }
        return Math.Atan2(2 * ((w * z) + (x * y)), 1 - (2 * ((y * y) + (z * z))));
    }

    /// <summary>An angle wrapped into (-π, π].</summary>
    public static double NormalizeAngle(double a)
    {
        a %= 2 * Math.PI;
        return a > Math.PI ? a - (2 * Math.PI) : a <= -Math.PI ? a + (2 * Math.PI) : a;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bumper hit: {What} at {Frame}.")]
    private partial void LogBump(string what, string frame);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulation step failed: {Reason}")]
    private partial void LogStepFailed(string reason);
}
