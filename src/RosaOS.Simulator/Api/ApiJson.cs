using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Simulator.Api;

/// <summary>JSON answers in the daemon's wire format, and FastAPI-shaped errors.</summary>
internal static class ApiJson
{
    /// <summary>Largest JSON body a route reads (1 MiB); bigger ones get 413.</summary>
    public const int MaxJsonBytes = 1 << 20;

    /// <summary>A typed body serialised with the daemon's options.</summary>
    public static IResult Ok<T>(T value, int status = 200)
        => Results.Text(JsonSerializer.Serialize(value, Info<T>()), "application/json", Encoding.UTF8, status);

    /// <summary>
    /// The contract of <typeparamref name="T"/> under the daemon's options (their source-generated resolver): the same
    /// output as passing the options, without the reflection-based overloads that trimming and Native AOT refuse.
    /// </summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)ReachyJson.Options.GetTypeInfo(typeof(T));

    /// <summary>A typed message in the daemon's wire format, as UTF-8 (WebSocket frames).</summary>
    public static byte[] Utf8<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Info<T>());

    /// <summary>An ad-hoc JSON body.</summary>
    public static IResult Node(JsonNode? node, int status = 200)
        => Results.Text(node?.ToJsonString() ?? "null", "application/json", Encoding.UTF8, status);

    /// <summary><c>{"detail": "…"}</c> with a status (404, 409, 413, 500, 503…).</summary>
    public static IResult Detail(int status, string detail) => Node(new JsonObject { ["detail"] = detail }, status);

    /// <summary>The daemon's 503 while the backend is down.</summary>
    public static IResult BackendNotRunning() => Detail(503, "Backend not running");

    /// <summary>Reads a JSON body (at most <see cref="MaxJsonBytes"/>); an error result when it is too big or not JSON.</summary>
    public static async Task<(JsonNode? Node, IResult? Error)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxJsonBytes)
        {
            return (null, Detail(413, $"Request body too large: at most {MaxJsonBytes} bytes."));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxJsonBytes)
            {
                return (null, Detail(413, $"Request body too large: at most {MaxJsonBytes} bytes."));
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            var errors = new FieldErrors();
            errors.Add("missing", ["body"], "Field required", null);
            return (null, errors.ToResult());
        }
        try
        {
            return (JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 64 }), null);
        }
        catch (JsonException ex)
        {
            var errors = new FieldErrors();
            errors.Add("json_invalid", ["body", ex.BytePositionInLine ?? 0], "JSON decode error", new JsonObject(),
                new JsonObject { ["error"] = ex.Message });
            return (null, errors.ToResult());
        }
    }

    /// <summary>A query-string boolean as FastAPI reads it (true/false/1/0/yes/no/on/off); null when absent.</summary>
    public static bool? QueryBool(HttpRequest request, string name, FieldErrors errors)
    {
        if (!request.Query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return null;
        }
        var text = values[^1]?.Trim().ToLowerInvariant();
        switch (text)
        {
            case "true" or "1" or "yes" or "on" or "t" or "y":
                return true;
            case "false" or "0" or "no" or "off" or "f" or "n":
                return false;
            default:
                errors.Add("bool_parsing", ["query", name], "Input should be a valid boolean, unable to interpret input", values[^1]);
                return null;
        }
    }
}

/// <summary>Collects validation errors and renders FastAPI's 422 <c>{"detail":[{type, loc, msg, input, ctx?}]}</c>.</summary>
internal sealed class FieldErrors
{
    private readonly JsonArray _items = [];

    public bool Any => _items.Count > 0;

    public void Add(string type, object[] loc, string msg, JsonNode? input, JsonObject? ctx = null)
    {
        var locArray = new JsonArray();
        foreach (var part in loc)
        {
            locArray.Add((JsonNode?)(part switch // JsonNode: the non-generic Add, which trimming and Native AOT accept
            {
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                _ => JsonValue.Create(part.ToString()),
            }));
        }
        var item = new JsonObject { ["type"] = type, ["loc"] = locArray, ["msg"] = msg, ["input"] = input?.DeepClone() };
        if (ctx is not null)
        {
            item["ctx"] = ctx;
        }
        _items.Add((JsonNode)item); // the non-generic Add (Native AOT)
    }

    public void Add(string type, object[] loc, string msg, string? input) => Add(type, loc, msg, input is null ? null : JsonValue.Create(input));

    public IResult ToResult() => ApiJson.Node(new JsonObject { ["detail"] = _items.DeepClone() }, 422);

    /// <summary>The errors as one readable line (for WebSocket replies and logs).</summary>
    public string Summary() => string.Join("; ", _items.Select(i => $"{string.Join('.', i!["loc"]!.AsArray().Select(l => l!.ToString()))}: {i!["msg"]}"));

    /// <summary>Largest |translation| accepted in a pose (m): the head moves a few centimetres.</summary>
    public const double MaxTranslation = 1.0;

    /// <summary>Largest |angle| accepted (rad); antennas beyond ±π are then clamped, body yaw by the IK.</summary>
    public const double MaxAngle = 2 * Math.PI;

    private static object[] Append(object[] loc, object part) => [.. loc, part];

    /// <summary>Refuses an angle beyond ±2π (a degrees-for-radians mistake or garbage), keeping the value otherwise.</summary>
    public double? Angle(double? value, object[] at, JsonNode? input)
    {
        if (value is { } v && Math.Abs(v) > MaxAngle)
        {
            Add("less_than_equal", at, $"Angles are radians within ±2π (|{v}| is too large; degrees sent as radians?)", input,
                new JsonObject { ["le"] = MaxAngle });
            return null;
        }
        return value;
    }

    /// <summary>The object at the root of a body, or an error.</summary>
    public JsonObject? Object(JsonNode? node, object[] loc)
    {
        if (node is JsonObject obj)
        {
            return obj;
        }
        Add("model_attributes_type", loc, "Input should be a valid dictionary or object to extract fields from", node);
        return null;
    }

    /// <summary>
    /// A finite number (pydantic lax mode: numeric strings are accepted); NaN and infinities are refused.
    /// Null or absent gives null, and an error when <paramref name="required"/>.
    /// </summary>
    public double? Number(JsonObject obj, string name, object[] loc, bool required = false)
    {
        var at = Append(loc, name);
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            if (required)
            {
                if (obj.ContainsKey(name))
                {
                    Add("float_type", at, "Input should be a valid number", null);
                }
                else
                {
                    Add("missing", at, "Field required", obj);
                }
            }
            return null;
        }
        return Value(node, at);
    }

    /// <summary>
    /// An optional finite number within [<paramref name="min"/>, <paramref name="max"/>] (the simulation-only routes'
    /// fields): <paramref name="fallback"/> when absent or null, a pydantic-style range error saying
    /// <paramref name="what"/> when outside.
    /// </summary>
    public double Bounded(JsonObject obj, string name, object[] loc, double fallback, double min, double max, string what)
    {
        var value = Number(obj, name, loc);
        if (value is not { } v)
        {
            return fallback;
        }
        if (v < min || v > max)
        {
            var low = v < min;
            Add(low ? "greater_than_equal" : "less_than_equal", Append(loc, name), $"{what} must be from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}",
                obj[name], new JsonObject { [low ? "ge" : "le"] = low ? min : max });
        }
        return v;
    }

    /// <summary>A finite number from a node, or an error at <paramref name="at"/>.</summary>
    public double? Value(JsonNode node, object[] at)
    {
        if (node is JsonValue value)
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.Number:
                    if (value.TryGetValue<double>(out var d) && double.IsFinite(d))
                    {
                        return d;
                    }
                    Add("finite_number", at, "Input should be a finite number", node);
                    return null;
                case JsonValueKind.String:
                    var text = value.GetValue<string>();
                    if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
                    {
                        if (double.IsFinite(parsed))
                        {
                            return parsed;
                        }
                        Add("finite_number", at, "Input should be a finite number", node);
                        return null;
                    }
                    Add("float_parsing", at, "Input should be a valid number, unable to parse string as a number", node);
                    return null;
            }
        }
        Add("float_type", at, "Input should be a valid number", node);
        return null;
    }

    private double Metres(JsonObject pose, string name, object[] at)
    {
        var v = Number(pose, name, at);
        if (v is { } d && Math.Abs(d) > MaxTranslation)
        {
            Add("less_than_equal", Append(at, name), "Translations are metres within ±1 m (millimetres sent as metres?)", pose[name],
                new JsonObject { ["le"] = MaxTranslation });
            return 0;
        }
        return v ?? 0;
    }

    /// <summary>A fixed-length list of finite numbers (a tuple), or null when absent/null.</summary>
    public double[]? Numbers(JsonObject obj, string name, int length, object[] loc)
    {
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        return NumbersFrom(node, length, Append(loc, name));
    }

    /// <summary>A fixed-length list of finite numbers from a node.</summary>
    public double[]? NumbersFrom(JsonNode node, int length, object[] at)
    {
        if (node is not JsonArray array)
        {
            Add("tuple_type", at, "Input should be a valid tuple", node);
            return null;
        }
        if (array.Count != length)
        {
            var shortBy = array.Count < length;
            Add(shortBy ? "too_short" : "too_long", at,
                shortBy ? $"Tuple should have at least {length} items after validation, not {array.Count}"
                        : $"Tuple should have at most {length} items after validation, not {array.Count}",
                node, new JsonObject { ["field_type"] = "Tuple", [shortBy ? "min_length" : "max_length"] = length, ["actual_length"] = array.Count });
            return null;
        }
        var result = new double[length];
        var before = _items.Count;
        for (var i = 0; i < length; i++)
        {
            if (array[i] is null)
            {
                Add("float_type", Append(at, i), "Input should be a valid number", null);
                continue;
            }
            result[i] = Value(array[i]!, Append(at, i)) ?? 0;
        }
        return _items.Count == before ? result : null;
    }

    /// <summary>
    /// An <c>AnyPose</c>: <c>{"m":[16]}</c> (row-major, must be a rigid transform) or <c>{x,y,z,roll,pitch,yaw}</c>
    /// (missing fields 0), as a 16-value matrix; null when absent or null.
    /// </summary>
    public double[]? Pose(JsonObject obj, string name, object[] loc)
    {
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        var at = Append(loc, name);
        if (node is not JsonObject pose)
        {
            Add("model_type", at, "Input should be a valid dictionary or instance of XYZRPYPose or Matrix4x4Pose", node);
            return null;
        }
        if (pose.ContainsKey("m"))
        {
            var m = pose["m"] is null ? null : NumbersFrom(pose["m"]!, 16, Append(at, "m"));
            if (pose["m"] is null)
            {
                Add("tuple_type", Append(at, "m"), "Input should be a valid tuple", null);
            }
            if (m is null)
            {
                return null;
            }
            if (Math.Abs(m[3]) > MaxTranslation || Math.Abs(m[7]) > MaxTranslation || Math.Abs(m[11]) > MaxTranslation)
            {
                Add("less_than_equal", Append(at, "m"), "Translations are metres within ±1 m", pose["m"], new JsonObject { ["le"] = MaxTranslation });
                return null;
            }
            if (!Transform.IsRigid(m))
            {
                Add("value_error", Append(at, "m"), "Value error, the matrix is not a rigid transform (orthonormal rotation with determinant +1, last row 0 0 0 1)", pose["m"]);
                return null;
            }
            // Re-orthonormalise nothing: the tolerance is tight enough that IK sees what the client sent.
            return m;
        }
        var before = _items.Count;
        var x = Metres(pose, "x", at);
        var y = Metres(pose, "y", at);
        var z = Metres(pose, "z", at);
        var roll = Angle(Number(pose, "roll", at), Append(at, "roll"), pose["roll"]) ?? 0;
        var pitch = Angle(Number(pose, "pitch", at), Append(at, "pitch"), pose["pitch"]) ?? 0;
        var yaw = Angle(Number(pose, "yaw", at), Append(at, "yaw"), pose["yaw"]) ?? 0;
        return _items.Count == before ? Transform.FromXyzRpy(x, y, z, roll, pitch, yaw) : null;
    }
}
