using System.CommandLine;

namespace RosaOS.RosSim;

/// <summary>The <c>rosa rossim</c> sub-command.</summary>
public static class RosSimCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Robot name (logs, health, the map).", DefaultValueFactory = _ => "turtlebot" };
        var port = new Option<int>("--port") { Description = "rosbridge WebSocket port (a real robot uses 9090; 0 picks a free one).", DefaultValueFactory = _ => 9090 };
        var host = new Option<string>("--host") { Description = "Address to bind (loopback by default).", DefaultValueFactory = _ => "127.0.0.1" };
        var distro = new Option<string>("--distro") { Description = "ROS 2 distro name reported by /rosapi/get_ros_version.", DefaultValueFactory = _ => "jazzy" };
        var kind = new Option<string>("--kind") { Description = "Robot kind: turtlebot4 (TurtleBot 4) or dog (a small legged robot walked by the /puppy services of the shipped dog prompt).", DefaultValueFactory = _ => "turtlebot4" };
        var pictures = new Option<string?>("--pictures") { Description = "Folder of the room's pictures (default: $ROSAOS_TOOLS_DIR/skimage)." };
        var command = new Command("rossim", "Run a simulated ROS 2 TurtleBot 4 in a 2D room behind a rosbridge v2 server (as rosbridge_suite serves it).")
        {
            name, port, host, distro, kind, pictures,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            await Task.Yield();
            var options = new RosSimOptions
            {
                Name = result.GetValue(name) ?? "turtlebot",
                Port = result.GetValue(port),
                Host = result.GetValue(host) ?? "127.0.0.1",
                Distro = result.GetValue(distro) ?? "jazzy",
                Kind = result.GetValue(kind) ?? "turtlebot4",
            };
            if (result.GetValue(pictures) is { } p)
            {
                options.PicturesDirectory = Path.GetFullPath(p);
            }
            return await RosSimHost.RunAsync(options, cancellationToken);
        });
        return command;
    }
}
