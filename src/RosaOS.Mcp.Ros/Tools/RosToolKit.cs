using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.RosBridge;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// What the ROS tool classes share: the mapping of rosbridge failures to tool errors a model can act on, argument
/// checks that name the argument, and the steps every publish or subscribe takes (type lookup, safety envelope, images
/// saved to files instead of pixels in the answer).
/// </summary>
internal static class RosToolKit
{
    public const double MaxTimeoutSeconds = 300;

    public static async Task<string> Run(Func<Task<JsonObject>> body)
    {
        try
        {
            return (await body()).ToJsonString();
        }
        catch (RosServiceFailedException ex)
        {
            throw new McpException($"The robot answered with a failure: {ex.Message}", ex);
        }
        catch (RosBridgeTimeoutException ex)
        {
            throw new McpException(ex.Message, ex);
        }
        catch (RosBridgeConnectionException ex)
        {
            throw new McpException($"{ex.Message} Try again in a few seconds.", ex);
        }
        catch (RosBridgeException ex)
        {
            throw new McpException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FormatException or JsonException or InvalidOperationException and not ObjectDisposedException)
        {
            throw new McpException(ex.Message, ex);
        }
    }

    public static JsonObject ObjectOf(JsonElement element, string what)
        => element.ValueKind == JsonValueKind.Object
            ? JsonNode.Parse(element.GetRawText())!.AsObject()
            : throw new McpException($"{what} must be a JSON object, got {element.ValueKind}.");

    public static TimeSpan Seconds(double value, string name)
        => double.IsFinite(value) && value > 0 && value <= MaxTimeoutSeconds
            ? TimeSpan.FromSeconds(value)
            : throw new McpException($"{name} must be a number of seconds in (0, {MaxTimeoutSeconds}], got {value}.");

    public static string RequireName(string? name, string what)
        => !string.IsNullOrWhiteSpace(name) && name.StartsWith('/') && name.Length < 512 && !name.Any(char.IsWhiteSpace)
            ? name
            : throw new McpException($"{what} must be a ROS name starting with '/', got '{name}'.");

    public static string RequireType(string? type)
        => !string.IsNullOrWhiteSpace(type) && type.Length < 256 && type.Count(c => c == '/') is 1 or 2
            ? type
            : throw new McpException($"'{type}' is not a ROS type name (expected pkg/Type or pkg/msg/Type).");

    public static string NonEmpty(string value, string error) => string.IsNullOrEmpty(value) ? throw new McpException(error) : value;

    public static JsonArray Strings(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode)JsonValue.Create(i))]);

    public static async Task<(string Type, JsonObject Message, List<string> Notes)> PrepareAsync(this RobotSession robot, string? topic, string? msgType, JsonElement element, string what, CancellationToken cancellationToken)
    {
        topic = RequireName(topic, "topic");
        msgType = RequireType(msgType);
        robot.Refuse("topic", topic);
        var message = ObjectOf(element, what);
        if (message.Count == 0)
        {
            throw new McpException($"{what} is empty; give the message fields (see get_message_details).");
        }
        await robot.RosVersionAsync(cancellationToken);
        var type = robot.Api.NormalizeType(msgType);
        var notes = RobotSafety.IsTwist(type) ? robot.Safety.ClampTwist(message, type) : [];
        notes.AddRange(robot.Safety.ApplyBounds("topic", topic, message));
        return (type, message, notes);
    }

    // A brand-new ROS 1 publisher is not yet connected to its subscribers; the first message would be lost.
    public static Task SettleAsync(bool fresh, CancellationToken cancellationToken)
        => fresh ? Task.Delay(TimeSpan.FromMilliseconds(700), cancellationToken) : Task.CompletedTask;

    public static async Task<string> ResolveTypeAsync(this RobotSession robot, string topic, string? msgType, CancellationToken cancellationToken)
    {
        await robot.RosVersionAsync(cancellationToken);
        if (!string.IsNullOrWhiteSpace(msgType))
        {
            return robot.Api.NormalizeType(msgType);
        }
        // rosbridge answers an unknown type with silence; know the type before subscribing.
        return NonEmpty(await robot.Api.TopicTypeAsync(topic, cancellationToken), $"Topic {topic} does not exist or has no publisher yet; give msg_type or check get_topics.");
    }

    public static void Refuse(this RobotSession robot, string kind, string name)
    {
        if (robot.Safety.WhyRefused(kind, name) is { } why)
        {
            throw new McpException(why);
        }
    }

    public static JsonObject Present(this RobotSession robot, JsonObject msg)
    {
        if (!ImageSaver.IsImage(msg))
        {
            return msg;
        }
        var (path, relative, bytes) = robot.Images.Save(msg);
        var shown = (JsonObject)msg.DeepClone();
        shown.Remove("data");
        shown["image_saved"] = new JsonObject { ["image_path"] = path, ["relative_path"] = relative, ["bytes"] = bytes };
        return shown;
    }
}
