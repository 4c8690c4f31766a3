using System.Globalization;
using System.Text.Json.Nodes;

namespace RosaOS.RosSim.Graph;

/// <summary>One field of a ROS message definition: <c>float64[36] covariance</c> is type float64, array length 36.</summary>
/// <param name="Name">Field name.</param>
/// <param name="Type">Element type: a primitive (float64, string, …) or a full message name (pkg/msg/Type).</param>
/// <param name="ArrayLength">-1 for a scalar, 0 for an unbounded array, n for a fixed array of n.</param>
public sealed record RosField(string Name, string Type, int ArrayLength)
{
    /// <summary>True for arrays (fixed or not).</summary>
    public bool IsArray => ArrayLength >= 0;
}

/// <summary>
/// The message, service and action definitions the simulated robot knows (a small subset of ROS 2's interfaces, written
/// in the .msg field syntax), with what rosbridge does with them: fill a partial message with defaults, refuse a field of
/// the wrong kind, and describe a type for <c>/rosapi/message_details</c>.
/// </summary>
public static class MessageTypes
{
    private static readonly HashSet<string> s_primitives =
    [
        "bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "string", "wstring",
    ];

    private static readonly Dictionary<string, string> s_messages = new(StringComparer.Ordinal)
    {
        ["builtin_interfaces/msg/Time"] = "int32 sec\nuint32 nanosec",
        ["builtin_interfaces/msg/Duration"] = "int32 sec\nuint32 nanosec",
        ["std_msgs/msg/Header"] = "builtin_interfaces/msg/Time stamp\nstring frame_id",
        ["std_msgs/msg/String"] = "string data",
        ["std_msgs/msg/Bool"] = "bool data",
        ["std_msgs/msg/Empty"] = "",
        ["std_msgs/msg/Float32"] = "float32 data",
        ["std_msgs/msg/Float64"] = "float64 data",
        ["std_msgs/msg/Int32"] = "int32 data",
        ["std_msgs/msg/Int64"] = "int64 data",
        ["std_msgs/msg/UInt8"] = "uint8 data",
        ["geometry_msgs/msg/Vector3"] = "float64 x\nfloat64 y\nfloat64 z",
        ["geometry_msgs/msg/Point"] = "float64 x\nfloat64 y\nfloat64 z",
        ["geometry_msgs/msg/Quaternion"] = "float64 x\nfloat64 y\nfloat64 z\nfloat64 w",
        ["geometry_msgs/msg/Pose"] = "geometry_msgs/msg/Point position\ngeometry_msgs/msg/Quaternion orientation",
        ["geometry_msgs/msg/PoseStamped"] = "std_msgs/msg/Header header\ngeometry_msgs/msg/Pose pose",
        ["geometry_msgs/msg/PoseWithCovariance"] = "geometry_msgs/msg/Pose pose\nfloat64[36] covariance",
        ["geometry_msgs/msg/Twist"] = "geometry_msgs/msg/Vector3 linear\ngeometry_msgs/msg/Vector3 angular",
        ["geometry_msgs/msg/TwistStamped"] = "std_msgs/msg/Header header\ngeometry_msgs/msg/Twist twist",
        ["geometry_msgs/msg/TwistWithCovariance"] = "geometry_msgs/msg/Twist twist\nfloat64[36] covariance",
        ["geometry_msgs/msg/Transform"] = "geometry_msgs/msg/Vector3 translation\ngeometry_msgs/msg/Quaternion rotation",
        ["geometry_msgs/msg/TransformStamped"] = "std_msgs/msg/Header header\nstring child_frame_id\ngeometry_msgs/msg/Transform transform",
        ["nav_msgs/msg/Odometry"] = "std_msgs/msg/Header header\nstring child_frame_id\ngeometry_msgs/msg/PoseWithCovariance pose\ngeometry_msgs/msg/TwistWithCovariance twist",
        ["nav_msgs/msg/Path"] = "std_msgs/msg/Header header\ngeometry_msgs/msg/PoseStamped[] poses",
        ["tf2_msgs/msg/TFMessage"] = "geometry_msgs/msg/TransformStamped[] transforms",
        ["sensor_msgs/msg/CompressedImage"] = "std_msgs/msg/Header header\nstring format\nuint8[] data",
        ["sensor_msgs/msg/Image"] = "std_msgs/msg/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data",
        ["sensor_msgs/msg/BatteryState"] = "std_msgs/msg/Header header\nfloat32 voltage\nfloat32 temperature\nfloat32 current\nfloat32 charge\nfloat32 capacity\n" +
            "float32 design_capacity\nfloat32 percentage\nuint8 power_supply_status\nuint8 power_supply_health\nuint8 power_supply_technology\nbool present\n" +
            "float32[] cell_voltage\nfloat32[] cell_temperature\nstring location\nstring serial_number",
        ["irobot_create_msgs/msg/HazardDetection"] = "std_msgs/msg/Header header\nuint8 type",
        ["irobot_create_msgs/msg/HazardDetectionVector"] = "std_msgs/msg/Header header\nirobot_create_msgs/msg/HazardDetection[] detections",
        ["irobot_create_msgs/msg/DockStatus"] = "std_msgs/msg/Header header\nbool dock_visible\nbool is_docked",
        ["unique_identifier_msgs/msg/UUID"] = "uint8[16] uuid",
        ["action_msgs/msg/GoalInfo"] = "unique_identifier_msgs/msg/UUID goal_id\nbuiltin_interfaces/msg/Time stamp",
        ["action_msgs/msg/GoalStatus"] = "action_msgs/msg/GoalInfo goal_info\nint8 status",
        ["action_msgs/msg/GoalStatusArray"] = "action_msgs/msg/GoalStatus[] status_list",
        ["rcl_interfaces/msg/ListParametersResult"] = "string[] names\nstring[] prefixes",
        ["rosapi_msgs/msg/TypeDef"] = "string type\nstring[] fieldnames\nstring[] fieldtypes\nint32[] fieldarraylen\nstring[] examples\nstring[] constnames\nstring[] constvalues",
    };

    // Services: request --- response.
    private static readonly Dictionary<string, string> s_services = new(StringComparer.Ordinal)
    {
        ["std_srvs/srv/Trigger"] = "---\nbool success\nstring message",
        ["std_srvs/srv/Empty"] = "---",
        ["std_srvs/srv/SetBool"] = "bool data\n---\nbool success\nstring message",
        ["rcl_interfaces/srv/ListParameters"] = "string[] prefixes\nuint64 depth\n---\nrcl_interfaces/msg/ListParametersResult result",
        ["puppy_control_msgs/srv/MoveDistanceTrigger"] = "float64 distance\nfloat64 speed\n---\nbool success\nstring message",
        ["puppy_control_msgs/srv/RotateAngleTrigger"] = "float64 angle\nfloat64 speed\n---\nbool success\nstring message",
        ["rosapi_msgs/srv/Topics"] = "---\nstring[] topics\nstring[] types",
        ["rosapi_msgs/srv/TopicType"] = "string topic\n---\nstring type",
        ["rosapi_msgs/srv/TopicsForType"] = "string type\n---\nstring[] topics",
        ["rosapi_msgs/srv/TopicsAndRawTypes"] = "---\nstring[] topics\nstring[] types\nstring[] typedefs_full_text",
        ["rosapi_msgs/srv/Services"] = "---\nstring[] services",
        ["rosapi_msgs/srv/ServiceType"] = "string service\n---\nstring type",
        ["rosapi_msgs/srv/ServicesForType"] = "string type\n---\nstring[] services",
        ["rosapi_msgs/srv/ServiceProviders"] = "string service\n---\nstring[] providers",
        ["rosapi_msgs/srv/ServiceNode"] = "string service\n---\nstring node",
        ["rosapi_msgs/srv/ServiceRequestDetails"] = "string type\n---\nrosapi_msgs/msg/TypeDef[] typedefs",
        ["rosapi_msgs/srv/ServiceResponseDetails"] = "string type\n---\nrosapi_msgs/msg/TypeDef[] typedefs",
        ["rosapi_msgs/srv/MessageDetails"] = "string type\n---\nrosapi_msgs/msg/TypeDef[] typedefs",
        ["rosapi_msgs/srv/Nodes"] = "---\nstring[] nodes",
        ["rosapi_msgs/srv/NodeDetails"] = "string node\n---\nstring[] subscribing\nstring[] publishing\nstring[] services",
        ["rosapi_msgs/srv/Publishers"] = "string topic\n---\nstring[] publishers",
        ["rosapi_msgs/srv/Subscribers"] = "string topic\n---\nstring[] subscribers",
        ["rosapi_msgs/srv/GetParam"] = "string name\nstring default_value\n---\nstring value",
        ["rosapi_msgs/srv/SetParam"] = "string name\nstring value\n---",
        ["rosapi_msgs/srv/HasParam"] = "string name\n---\nbool exists",
        ["rosapi_msgs/srv/DeleteParam"] = "string node_name\nstring name\n---",
        ["rosapi_msgs/srv/GetParamNames"] = "---\nstring[] names",
        ["rosapi_msgs/srv/GetTime"] = "---\nbuiltin_interfaces/msg/Time time",
        ["rosapi_msgs/srv/GetActionServers"] = "---\nstring[] action_servers",
        ["rosapi_msgs/srv/GetROSVersion"] = "---\nint8 version\nstring distro",
        ["rosapi_msgs/srv/Interfaces"] = "---\nstring[] interfaces",
        ["rosapi_msgs/srv/ActionGoalDetails"] = "string type\n---\nrosapi_msgs/msg/TypeDef[] typedefs",
        ["rosapi_msgs/srv/ActionResultDetails"] = "string type\n---\nrosapi_msgs/msg/TypeDef[] typedefs",
        ["rosapi_msgs/srv/ActionFeedbackDetails"] = "string type\n---\nrosapi_msgs/msg/TypeDef[] typedefs",
    };

    // Actions: goal --- result --- feedback.
    private static readonly Dictionary<string, string> s_actions = new(StringComparer.Ordinal)
    {
        ["irobot_create_msgs/action/Dock"] = "---\nbool is_docked\n---\nbool sees_dock",
        ["irobot_create_msgs/action/Undock"] = "---\nbool is_docked\n---",
        ["nav2_msgs/action/NavigateToPose"] = "geometry_msgs/msg/PoseStamped pose\nstring behavior_tree\n---\nuint16 error_code\nstring error_msg\n---\n" +
            "geometry_msgs/msg/PoseStamped current_pose\nbuiltin_interfaces/msg/Duration navigation_time\nbuiltin_interfaces/msg/Duration estimated_time_remaining\n" +
            "int16 number_of_recoveries\nfloat32 distance_remaining",
    };

    private static readonly Dictionary<string, IReadOnlyList<RosField>> s_parsed = new(StringComparer.Ordinal);
    private static readonly Lock s_lock = new();

    /// <summary>Every known message type (pkg/msg/Type).</summary>
    public static IEnumerable<string> Messages => s_messages.Keys;

    /// <summary>Every known service type.</summary>
    public static IEnumerable<string> Services => s_services.Keys;

    /// <summary>Every known action type.</summary>
    public static IEnumerable<string> Actions => s_actions.Keys;

    /// <summary>
    /// The full name of a type as rosbridge_suite's ROS 2 loader resolves it: <c>pkg/Type</c> and <c>pkg/msg/Type</c> are the
    /// same type (the middle part is dropped and the kind put back). Null when the string is not a type name.
    /// </summary>
    public static string? Canonical(string? type, string kind)
    {
        if (string.IsNullOrWhiteSpace(type))
        {
            return null;
        }
        var parts = type.Trim().Split('/');
        return parts.Length switch
        {
            2 when parts[0].Length > 0 && parts[1].Length > 0 => $"{parts[0]}/{kind}/{parts[1]}",
            3 when parts[0].Length > 0 && parts[2].Length > 0 => $"{parts[0]}/{kind}/{parts[2]}",
            _ => null,
        };
    }

    /// <summary>True when the message type is known.</summary>
    public static bool IsMessage(string? type) => Canonical(type, "msg") is { } t && s_messages.ContainsKey(t);

    /// <summary>The fields of a message type, or null when unknown.</summary>
    public static IReadOnlyList<RosField>? Fields(string type)
    {
        var canonical = Canonical(type, "msg");
        if (canonical is null || !s_messages.TryGetValue(canonical, out var text))
        {
            return null;
        }
        return Parse(canonical, text);
    }

    /// <summary>The request or response part of a service type, as a pseudo message; null when unknown.</summary>
    public static IReadOnlyList<RosField>? ServicePart(string type, bool response)
        => Part(s_services, Canonical(type, "srv"), response ? 1 : 0);

    /// <summary>The goal (0), result (1) or feedback (2) part of an action type; null when unknown.</summary>
    public static IReadOnlyList<RosField>? ActionPart(string type, int part) => Part(s_actions, Canonical(type, "action"), part);

    /// <summary>True when the service type is known.</summary>
    public static bool IsService(string? type) => Canonical(type, "srv") is { } t && s_services.ContainsKey(t);

    /// <summary>True when the action type is known.</summary>
    public static bool IsAction(string? type) => Canonical(type, "action") is { } t && s_actions.ContainsKey(t);

    /// <summary>A message with every field at its default (0, false, "", [], nested defaults).</summary>
    public static JsonObject Default(IReadOnlyList<RosField> fields)
    {
        var result = new JsonObject();
        foreach (var field in fields)
        {
            result[field.Name] = DefaultValue(field);
        }
        return result;
    }

    /// <summary>
    /// Fills a partial message from a client with defaults, as rosbridge's populate_instance does: missing fields take their
    /// default, unknown fields and values of the wrong kind are refused with the reason (rosbridge logs it and drops the message).
    /// </summary>
    public static JsonObject Populate(IReadOnlyList<RosField> fields, JsonNode? message, string path = "")
    {
        if (message is null)
        {
            return Default(fields);
        }
        if (message is not JsonObject obj)
        {
            throw new FormatException($"{(path.Length == 0 ? "message" : path)}: expected an object, got {message.GetValueKind()}");
        }
        var result = new JsonObject();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            names.Add(field.Name);
            var value = obj[field.Name];
            var fieldPath = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
            result[field.Name] = value is null ? DefaultValue(field) : PopulateValue(field, value, fieldPath);
        }
        foreach (var (name, _) in obj)
        {
            if (!names.Contains(name))
            {
                throw new FormatException($"Message has no field {(path.Length == 0 ? name : path + "." + name)}");
            }
        }
        return result;
    }

    /// <summary>rosapi's TypeDef list for a message (the type itself, then every nested type once), as message_details answers.</summary>
    public static JsonArray TypeDefs(string typeName, IReadOnlyList<RosField> fields)
    {
        var list = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        AddTypeDef(list, seen, typeName, fields);
        return list;
    }

    /// <summary>The .msg text of a type (for topics_and_raw_types), empty when unknown.</summary>
    public static string DefinitionText(string type)
        => Canonical(type, "msg") is { } t && s_messages.TryGetValue(t, out var text) ? text : "";

    private static void AddTypeDef(JsonArray list, HashSet<string> seen, string typeName, IReadOnlyList<RosField> fields)
    {
        if (!seen.Add(typeName))
        {
            return;
        }
        list.Add((JsonNode)new JsonObject // JsonNode: the non-generic Add, which trimming and Native AOT accept
        {
            ["type"] = typeName,
            ["fieldnames"] = new JsonArray([.. fields.Select(f => JsonValue.Create(f.Name))]),
            ["fieldtypes"] = new JsonArray([.. fields.Select(f => JsonValue.Create(f.Type))]),
            ["fieldarraylen"] = new JsonArray([.. fields.Select(f => JsonValue.Create(f.ArrayLength))]),
            ["examples"] = new JsonArray([.. fields.Select(f => JsonValue.Create(Example(f)))]),
            ["constnames"] = new JsonArray(),
            ["constvalues"] = new JsonArray(),
        });
        foreach (var field in fields.Where(f => !s_primitives.Contains(f.Type)))
        {
            if (Fields(field.Type) is { } nested)
            {
                AddTypeDef(list, seen, field.Type, nested);
            }
        }
    }

    private static string Example(RosField field)
    {
        if (field.IsArray)
        {
            return "[]";
        }
        return field.Type switch
        {
            "bool" => "False",
            "string" or "wstring" => "",
            "float32" or "float64" => "0.0",
            _ when s_primitives.Contains(field.Type) => "0",
            _ => "{}",
        };
    }

    private static IReadOnlyList<RosField>? Part(Dictionary<string, string> table, string? canonical, int index)
    {
        if (canonical is null || !table.TryGetValue(canonical, out var text))
        {
            return null;
        }
        var parts = text.Split("---");
        return Parse($"{canonical}#{index}", index < parts.Length ? parts[index] : "");
    }

    private static IReadOnlyList<RosField> Parse(string key, string text)
    {
        lock (s_lock)
        {
            if (s_parsed.TryGetValue(key, out var cached))
            {
                return cached;
            }
            var fields = new List<RosField>();
            foreach (var raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var space = raw.IndexOf(' ', StringComparison.Ordinal);
                var type = raw[..space];
                var name = raw[(space + 1)..];
                var length = -1;
                var bracket = type.IndexOf('[', StringComparison.Ordinal);
                if (bracket >= 0)
                {
                    var inner = type[(bracket + 1)..^1];
                    length = inner.Length == 0 ? 0 : int.Parse(inner, CultureInfo.InvariantCulture);
                    type = type[..bracket];
                }
                fields.Add(new RosField(name, type, length));
            }
            s_parsed[key] = fields;
            return fields;
        }
    }

    private static JsonNode? DefaultValue(RosField field)
    {
        if (field.IsArray)
        {
            if (field.Type is "uint8" or "byte")
            {
                // rosbridge sends uint8[] as base64 text.
                return JsonValue.Create(Convert.ToBase64String(new byte[Math.Max(field.ArrayLength, 0)]));
            }
            var array = new JsonArray();
            for (var i = 0; i < field.ArrayLength; i++)
            {
                array.Add(DefaultScalar(field.Type));
            }
            return array;
        }
        return DefaultScalar(field.Type);
    }

    private static JsonNode? DefaultScalar(string type) => type switch
    {
        "bool" => JsonValue.Create(false),
        "string" or "wstring" => JsonValue.Create(""),
        "float32" or "float64" => JsonValue.Create(0.0),
        _ when s_primitives.Contains(type) => JsonValue.Create(0),
        _ => Fields(type) is { } nested ? Default(nested) : new JsonObject(),
    };

    private static JsonNode? PopulateValue(RosField field, JsonNode value, string path)
    {
        if (field.IsArray)
        {
            if (field.Type is "uint8" or "byte" && value is JsonValue text && text.TryGetValue<string>(out var b64))
            {
                try
                {
                    Convert.FromBase64String(b64);
                }
                catch (FormatException)
                {
                    throw new FormatException($"{path}: uint8[] given as text must be base64");
                }
                return JsonValue.Create(b64);
            }
            if (value is not JsonArray items)
            {
                throw new FormatException($"{path}: expected an array, got {value.GetValueKind()}");
            }
            if (field.ArrayLength > 0 && items.Count != field.ArrayLength)
            {
                throw new FormatException($"{path}: expected {field.ArrayLength} elements, got {items.Count}");
            }
            var result = new JsonArray();
            for (var i = 0; i < items.Count; i++)
            {
                result.Add(PopulateScalar(field.Type, items[i], $"{path}[{i}]"));
            }
            return result;
        }
        return PopulateScalar(field.Type, value, path);
    }

    private static JsonNode? PopulateScalar(string type, JsonNode? value, string path)
    {
        if (!s_primitives.Contains(type))
        {
            return Fields(type) is { } nested ? Populate(nested, value, path) : value?.DeepClone();
        }
        if (value is not JsonValue v)
        {
            throw new FormatException($"{path}: expected {type}, got {(value is null ? "null" : value.GetValueKind().ToString())}");
        }
        switch (type)
        {
            case "bool":
                return v.TryGetValue<bool>(out var flag) ? JsonValue.Create(flag) : throw new FormatException($"{path}: expected bool, got {v.ToJsonString()}");
            case "string" or "wstring":
                return v.TryGetValue<string>(out var s) ? JsonValue.Create(s) : throw new FormatException($"{path}: expected string, got {v.ToJsonString()}");
            case "float32" or "float64":
                return v.TryGetValue<double>(out var d) ? JsonValue.Create(d) : throw new FormatException($"{path}: expected {type}, got {v.ToJsonString()}");
            default:
                if (v.TryGetValue<long>(out var n))
                {
                    return JsonValue.Create(n);
                }
                if (v.TryGetValue<double>(out var whole) && whole == Math.Floor(whole) && Math.Abs(whole) < 9e15)
                {
                    return JsonValue.Create((long)whole);
                }
                throw new FormatException($"{path}: expected {type}, got {v.ToJsonString()}");
        }
    }
}
