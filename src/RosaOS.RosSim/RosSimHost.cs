using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Hosting;
using RosaOS.RosSim.Bridge;
using RosaOS.RosSim.Graph;
using RosaOS.RosSim.Robot;

namespace RosaOS.RosSim;

/// <summary>Options of <c>rosa rossim</c>.</summary>
public sealed class RosSimOptions
{
    /// <summary>Robot name (logs, health, the map).</summary>
    public string Name { get; set; } = "turtlebot";

    /// <summary>Address to bind.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>rosbridge port (9090 on a real robot).</summary>
    public int Port { get; set; } = 9090;

    /// <summary>Robot kind: "turtlebot4" (TurtleBot 4 on a Create 3 base) or "dog" (a small legged robot with the /puppy services).</summary>
    public string Kind { get; set; } = TurtleBotSim.TurtleBot4;

    /// <summary>ROS distro reported by /rosapi/get_ros_version.</summary>
    public string Distro { get; set; } = "jazzy";

    /// <summary>Folder of the room's pictures (scikit-image samples); default $ROSAOS_TOOLS_DIR/skimage.</summary>
    public string PicturesDirectory { get; set; } = Path.Combine(RosaEnvironment.ToolsDirectory, "skimage");

    /// <summary>Throws with the option's name when a value is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 64 || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"--name expects 1..64 letters, digits, '-' or '_', got '{Name}'.");
        }
        if (Kind is not (TurtleBotSim.TurtleBot4 or TurtleBotSim.Dog))
        {
            throw new ArgumentException($"--kind expects {TurtleBotSim.TurtleBot4} or {TurtleBotSim.Dog}, got '{Kind}'.");
        }
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"--port expects 0..65535, got {Port}.");
        }
    }
}

/// <summary>Builds and runs the simulated robot and its rosbridge server.</summary>
public static partial class RosSimHost
{
    /// <summary>Builds the web application (not started): the rosbridge WebSocket on any path, plus /health and /api/state for the map.</summary>
    public static WebApplication Build(RosSimOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = RosaWebHost.CreateBuilder("rossim-" + options.Name, options.Host, options.Port,
            options.Host is "127.0.0.1" or "localhost" or "::1" ? null : "*");
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RosGraph>();
        builder.Services.AddSingleton(new World());
        builder.Services.AddSingleton(sp => new RosCamera(options.PicturesDirectory, sp.GetRequiredService<ILoggerFactory>().CreateLogger("RosaOS.RosSim.Camera")));
        builder.Services.AddSingleton(sp =>
        {
            var graph = sp.GetRequiredService<RosGraph>();
            var time = sp.GetRequiredService<TimeProvider>();
            RosApiNode.Register(graph, options.Distro, time);
            graph.AddNode(BridgeSession.Node);
            return new TurtleBotSim(graph, sp.GetRequiredService<World>(), time, sp.GetRequiredService<ILoggerFactory>().CreateLogger("RosaOS.RosSim.Robot"), sp.GetRequiredService<RosCamera>(), options.Kind);
        });
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        var clients = 0;
        app.Use(async (context, next) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await next(context);
                return;
            }
            var graph = context.RequestServices.GetRequiredService<RosGraph>();
            var time = context.RequestServices.GetRequiredService<TimeProvider>();
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("RosaOS.RosSim.Bridge");
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await using var session = new BridgeSession(socket, graph, time, logger, Interlocked.Increment(ref clients));
            await session.RunAsync(context.RequestAborted);
        });
        app.MapRosaHealth(context => new System.Text.Json.Nodes.JsonObject { ["robot"] = options.Name, ["kind"] = options.Kind });
        app.MapGet("/", () => Results.Content(
            $"<html><body><h1>rosaOS simulated {(options.Kind == TurtleBotSim.Dog ? "robot dog" : "TurtleBot 4")} '{options.Name}'</h1><p>rosbridge v2 on this port (WebSocket); the map at /api/state; see docs/ros.md.</p></body></html>",
            "text/html"));
        app.MapGet("/api/state", (HttpContext context) =>
        {
            context.Response.Headers.AccessControlAllowOrigin = "*";
            var robot = context.RequestServices.GetRequiredService<TurtleBotSim>();
            return Results.Text(StateJson(options.Name, robot).ToJsonString(), "application/json");
        });
        app.MapGet("/api/camera.jpg", (HttpContext context) =>
        {
            context.Response.Headers.AccessControlAllowOrigin = "*";
            var robot = context.RequestServices.GetRequiredService<TurtleBotSim>();
            var camera = context.RequestServices.GetRequiredService<RosCamera>();
            var s = robot.State;
            var jpeg = camera.Render(robot.World, s.X, s.Y, s.Yaw);
            return jpeg is null ? Results.Problem(camera.Failure, statusCode: 503) : Results.File(jpeg, "image/jpeg");
        });
        return app;
    }

    /// <summary>The map's JSON: room, obstacles, dock, pictures, robot pose, trail and plan.</summary>
    public static JsonObject StateJson(string name, TurtleBotSim robot)
    {
        ArgumentNullException.ThrowIfNull(robot);
        var s = robot.State;
        var w = robot.World;
        static JsonArray Points(IEnumerable<(double X, double Y)> points) => new([.. points.Select(p => (JsonNode)new JsonArray(Math.Round(p.X, 3), Math.Round(p.Y, 3)))]);
        return new JsonObject
        {
            ["name"] = name,
            ["kind"] = robot.Kind,
            ["room"] = new JsonObject { ["half_size"] = w.HalfSize },
            ["robot_radius"] = w.RobotRadius,
            ["obstacles"] = new JsonArray([.. w.Obstacles.Select(o => (JsonNode)new JsonObject { ["name"] = o.Name, ["min"] = new JsonArray(o.MinX, o.MinY), ["max"] = new JsonArray(o.MaxX, o.MaxY) })]),
            ["dock"] = new JsonArray(w.Dock.X, w.Dock.Y),
            ["pictures"] = new JsonArray([.. w.Pictures.Select(p => (JsonNode)new JsonObject { ["label"] = p.Label, ["at"] = new JsonArray(Math.Round(p.X, 3), Math.Round(p.Y, 3)) })]),
            ["pose"] = new JsonObject { ["x"] = Math.Round(s.X, 4), ["y"] = Math.Round(s.Y, 4), ["yaw"] = Math.Round(s.Yaw, 4) },
            ["velocity"] = new JsonObject { ["linear"] = Math.Round(s.Linear, 3), ["angular"] = Math.Round(s.Angular, 3) },
            ["battery"] = Math.Round(s.Battery, 4),
            ["docked"] = s.Docked,
            ["bumps"] = s.Bumps,
            ["last_bump"] = s.LastBump,
            ["activity"] = s.Activity,
            ["trail"] = Points(s.Trail),
            ["plan"] = Points(s.Plan),
        };
    }

    /// <summary>Runs until Ctrl-C/SIGTERM; returns the exit code.</summary>
    public static async Task<int> RunAsync(RosSimOptions options, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = Build(options);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"rosa rossim: {ex.Message}");
            return 2;
        }
        await using (app)
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RosaOS.RosSim");
            var robot = app.Services.GetRequiredService<TurtleBotSim>();
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                lifetime.StopApplication();
            });
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                lifetime.StopApplication();
            });
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                LogBindFailed(logger, options.Host, options.Port.ToString(CultureInfo.InvariantCulture), ex.Message);
                return 1;
            }
            robot.Start();
            var urls = string.Join(", ", app.Urls);
            LogListening(logger, options.Name, urls);
            try
            {
                await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping).Token);
            }
            catch (OperationCanceledException)
            {
            }
            await robot.DisposeAsync();
            await app.StopAsync(CancellationToken.None);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulated TurtleBot 4 '{Name}': rosbridge v2 (ROS 2) listening on {Urls}")]
    private static partial void LogListening(ILogger logger, string name, string urls);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot listen on {Host}:{Port}: {Reason}")]
    private static partial void LogBindFailed(ILogger logger, string host, string port, string reason);
}
