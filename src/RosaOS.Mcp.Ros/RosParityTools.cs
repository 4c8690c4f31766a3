using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using RosaOS.RosBridge;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// The ros-mcp-server tools the first port left out (issue 18): parameter existence and details, the verified robot
/// specs, and showing a saved camera image again. All read-only.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class RosParityTools(RobotSession robot, VerifiedRobots robots)
{
    /// <summary>Largest image handed back (the images rosa ros saves are far smaller).</summary>
    public const long MaxImageBytes = 20 * 1024 * 1024;

    [McpServerTool(Name = "has_parameter", ReadOnly = true), Description("Whether a ROS parameter exists (ROS 2 names are node:param, e.g. /turtlesim:background_b).")]
    public async Task<string> HasParameter([Description("Parameter name")] string name, CancellationToken cancellationToken = default)
        => await Guard(async () =>
        {
            var value = await ReadParameterAsync(name, cancellationToken);
            return new JsonObject
            {
                ["name"] = name,
                ["exists"] = value is not null,
                ["successful"] = true,
                ["reason"] = value is null ? $"Parameter {name} is not set (see get_parameters)." : "",
            };
        });

    [McpServerTool(Name = "get_parameter_details", ReadOnly = true), Description("Value, type, node and parameter name of a ROS parameter.")]
    public async Task<string> GetParameterDetails([Description("Parameter name, e.g. /turtlesim:background_r")] string name, CancellationToken cancellationToken = default)
        => await Guard(async () =>
        {
            var value = await ReadParameterAsync(name, cancellationToken);
            var colon = name.IndexOf(':', StringComparison.Ordinal);
            return new JsonObject
            {
                ["name"] = name,
                ["exists"] = value is not null,
                ["value"] = value?.DeepClone(),
                ["type"] = TypeOf(value),
                ["node"] = colon > 0 ? name[..colon] : "",
                ["parameter"] = colon > 0 ? name[(colon + 1)..] : name,
                ["reason"] = value is null ? $"Parameter {name} is not set (see get_parameters)." : "",
            };
        });

    [McpServerTool(Name = "get_verified_robots_list", ReadOnly = true), Description("The robots this installation has a verified specification for (drivers.json ROS robots).")]
    public string GetVerifiedRobotsList()
        => new JsonObject
        {
            ["robot_specifications"] = new JsonArray([.. robots.Names.Select(n => (JsonNode)JsonValue.Create(n))]),
            ["count"] = robots.Names.Count,
        }.ToJsonString();

    [McpServerTool(Name = "get_verified_robot_spec", ReadOnly = true), Description("A verified robot's specification: what it is and how to drive it (its prompt).")]
    public string GetVerifiedRobotSpec([Description("Robot name from get_verified_robots_list")] string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new McpException("name is empty; give a robot name from get_verified_robots_list.");
        }
        return (robots.Spec(name.Trim()) ?? throw new McpException(
            $"No verified specification for '{name}'; known robots: {string.Join(", ", robots.Names)}.")).ToJsonString();
    }

    [McpServerTool(Name = "analyze_previously_received_image", ReadOnly = true), Description("Show an image saved earlier by capture_camera_image or subscribe_once (by its image_path or relative_path; the newest when omitted), so a model that sees images can look at it.")]
    public async Task<CallToolResult> AnalyzePreviouslyReceivedImage(
        [Description("image_path or relative_path returned when the image was saved; default: the newest saved image")] string? image_path = null,
        CancellationToken cancellationToken = default)
    {
        var path = ResolveImage(image_path);
        var info = new FileInfo(path);
        if (info.Length > MaxImageBytes)
        {
            throw new McpException($"{image_path} is {info.Length} bytes, over the {MaxImageBytes}-byte limit.");
        }
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        var mime = bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 ? "image/jpeg"
            : bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' ? "image/png"
            : throw new McpException($"{image_path} is neither a JPEG nor a PNG image.");
        var relative = Path.GetRelativePath(robot.Images.ImagesDirectory, path).Replace('\\', '/');
        return new CallToolResult
        {
            Content =
            [
                new TextContentBlock { Text = $"Image {relative} ({bytes.Length} bytes). A text-only model: pass relative_path \"{relative}\" to Reachy Mini's describe_image." },
                ImageContentBlock.FromBytes(bytes, mime),
            ],
        };
    }

    /// <summary>A saved image's full path, only inside the images folder (no path leaves it).</summary>
    private string ResolveImage(string? imagePath)
    {
        var root = robot.Images.ImagesDirectory;
        if (string.IsNullOrWhiteSpace(imagePath))
        {
            var folder = Path.Combine(root, "ros");
            var newest = Directory.Exists(folder)
                ? new DirectoryInfo(folder).EnumerateFiles().Where(f => f.Extension is ".jpg" or ".png").MaxBy(f => f.LastWriteTimeUtc)
                : null;
            return newest?.FullName ?? throw new McpException("No image has been saved yet; call capture_camera_image first.");
        }
        var full = Path.GetFullPath(Path.IsPathRooted(imagePath) ? imagePath : Path.Combine(root, imagePath));
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new McpException($"image_path '{imagePath}' is outside the images folder; give the image_path or relative_path that capture_camera_image returned.");
        }
        return File.Exists(full) ? full : throw new McpException($"No saved image at '{imagePath}' (see capture_camera_image).");
    }

    private async Task<JsonNode?> ReadParameterAsync(string name, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || !name.StartsWith('/') || name.Length >= 512 || name.Any(char.IsWhiteSpace))
        {
            throw new McpException($"name must be a ROS parameter name starting with '/', got '{name}'.");
        }
        await robot.RosVersionAsync(cancellationToken);
        // get_param with a null default, as ros-mcp-server: rosapi's has_param crashes on unknown names.
        return await robot.Api.GetParamAsync(name, cancellationToken);
    }

    private static string TypeOf(JsonNode? value) => value switch
    {
        null => "not_set",
        JsonArray => "array",
        JsonObject => "object",
        JsonValue v when v.TryGetValue<bool>(out _) => "bool",
        JsonValue v when v.TryGetValue<long>(out _) => "integer",
        JsonValue v when v.TryGetValue<double>(out _) => "double",
        _ => "string",
    };

    private static async Task<string> Guard(Func<Task<JsonObject>> body)
    {
        try
        {
            return (await body()).ToJsonString();
        }
        catch (RosServiceFailedException ex)
        {
            throw new McpException($"The robot answered with a failure: {ex.Message}", ex);
        }
        catch (RosBridgeConnectionException ex)
        {
            throw new McpException($"{ex.Message} Try again in a few seconds.", ex);
        }
        catch (RosBridgeException ex)
        {
            throw new McpException(ex.Message, ex);
        }
    }
}
