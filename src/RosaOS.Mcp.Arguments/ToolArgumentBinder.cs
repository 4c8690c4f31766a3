using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RosaOS.Mcp.Arguments;

/// <summary>
/// Checks and coerces a tool call's arguments against the tool's JSON input schema before the SDK binds them to
/// parameters. It accepts what the Python original's pydantic (lax mode) accepts: <c>2.0</c> or <c>"2"</c> for an
/// integer, <c>"1.5"</c> for a number, <c>"true"</c>/<c>"yes"</c>/<c>1</c> for a boolean.
/// Everything else becomes one error text that names each bad argument, what was given and what is expected, so a
/// model can correct its call. A null for an optional argument means "use the default"; extra arguments are ignored.
/// </summary>
public static class ToolArgumentBinder
{
    /// <summary>
    /// Binds <paramref name="arguments"/> in place (coerced values replace the given ones). Returns null when the call
    /// may proceed, or the error text for the model.
    /// </summary>
    public static string? Bind(string tool, JsonElement inputSchema, IDictionary<string, JsonElement> arguments)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(arguments);
        if (inputSchema.ValueKind != JsonValueKind.Object
            || !inputSchema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var required = inputSchema.TryGetProperty("required", out var req) && req.ValueKind == JsonValueKind.Array
            ? req.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
        var problems = new List<string>();
        foreach (var property in properties.EnumerateObject())
        {
            var name = property.Name;
            var expected = Describe(property.Value);
            if (!arguments.TryGetValue(name, out var given) || given.ValueKind is JsonValueKind.Undefined)
            {
                if (required.Contains(name))
                {
                    problems.Add($"argument '{name}' is required ({expected}) but was not given");
                }
                continue;
            }
            if (given.ValueKind == JsonValueKind.Null)
            {
                if (required.Contains(name) && !AllowsNull(property.Value))
                {
                    problems.Add($"argument '{name}' must be {expected}, got null");
                }
                else if (!AllowsNull(property.Value))
                {
                    // Null for an optional argument means "use the default", as when it is left out.
                    arguments.Remove(name);
                }
                continue;
            }
            if (Coerce(property.Value, given, out var coerced, out var why))
            {
                arguments[name] = coerced;
            }
            else
            {
                problems.Add($"argument '{name}' must be {expected}, got {Show(given)}{(why is null ? "" : " (" + why + ")")}");
            }
        }
        return problems.Count == 0
            ? null
            : $"Invalid arguments for {tool}: {string.Join("; ", problems)}. Call {tool} again with corrected arguments.";
    }

    /// <summary>The value types a property schema allows, without "null".</summary>
    internal static List<string> TypesOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type))
        {
            return schema.TryGetProperty("enum", out _) ? ["string"] : [];
        }
        var types = type.ValueKind switch
        {
            JsonValueKind.String => [type.GetString()!],
            JsonValueKind.Array => type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToList(),
            _ => new List<string>(),
        };
        types.RemoveAll(t => t == "null");
        // System.Text.Json describes numbers it may read from strings as ["number","string"] with a pattern: a number.
        if (types.Count == 2 && types.Contains("string") && (types.Contains("number") || types.Contains("integer")))
        {
            types.Remove("string");
        }
        return types;
    }

    private static bool AllowsNull(JsonElement schema)
        => schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array
            && type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.GetString() == "null");

    private static bool Coerce(JsonElement schema, JsonElement given, out JsonElement coerced, out string? why)
    {
        coerced = given;
        why = null;
        var types = TypesOf(schema);
        if (types.Count == 0)
        {
            return true;
        }
        foreach (var type in types)
        {
            if (TryAs(type, schema, given, out coerced, out why))
            {
                return true;
            }
        }
        coerced = given;
        return false;
    }

    private static bool TryAs(string type, JsonElement schema, JsonElement given, out JsonElement coerced, out string? why)
    {
        coerced = given;
        why = null;
        switch (type)
        {
            case "integer":
                if (NumberOf(given, out var n, out why))
                {
                    if (n != Math.Floor(n))
                    {
                        why = "it has a fractional part";
                        return false;
                    }
                    if (n is < long.MinValue or > long.MaxValue)
                    {
                        why = "it is out of range";
                        return false;
                    }
                    coerced = JsonSerializer.SerializeToElement((long)n, BinderJson.Default.Int64);
                    return true;
                }
                return false;
            case "number":
                if (NumberOf(given, out var d, out why))
                {
                    coerced = JsonSerializer.SerializeToElement(d, BinderJson.Default.Double);
                    return true;
                }
                return false;
            case "boolean":
                if (BooleanOf(given) is { } b)
                {
                    coerced = b ? True : False;
                    return true;
                }
                return false;
            case "string":
                // pydantic's lax mode does not turn numbers into strings either ("Input should be a valid string").
                if (given.ValueKind != JsonValueKind.String)
                {
                    return false;
                }
                if (schema.TryGetProperty("enum", out var choices) && choices.ValueKind == JsonValueKind.Array)
                {
                    var text = coerced.GetString();
                    var match = choices.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.String)
                        .FirstOrDefault(c => string.Equals(c.GetString(), text, StringComparison.OrdinalIgnoreCase));
                    if (match.ValueKind != JsonValueKind.String)
                    {
                        why = "not one of the allowed values";
                        return false;
                    }
                    coerced = match;
                }
                return true;
            case "array":
                if (given.ValueKind != JsonValueKind.Array)
                {
                    return false;
                }
                if (!schema.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Object)
                {
                    return true;
                }
                var list = new List<JsonElement>();
                var index = 0;
                foreach (var item in given.EnumerateArray())
                {
                    if (!Coerce(items, item, out var one, out var itemWhy))
                    {
                        why = $"item {index} is {Show(item)}{(itemWhy is null ? "" : ", " + itemWhy)}";
                        return false;
                    }
                    list.Add(one);
                    index++;
                }
                coerced = JsonSerializer.SerializeToElement(list, BinderJson.Default.ListJsonElement);
                return true;
            case "object":
                return given.ValueKind == JsonValueKind.Object;
            default:
                return true;
        }
    }

    private static readonly JsonElement True = JsonSerializer.SerializeToElement(true, BinderJson.Default.Boolean);
    private static readonly JsonElement False = JsonSerializer.SerializeToElement(false, BinderJson.Default.Boolean);

    private static bool NumberOf(JsonElement given, out double value, out string? why)
    {
        why = null;
        value = 0;
        switch (given.ValueKind)
        {
            case JsonValueKind.Number:
                if (given.TryGetDouble(out value) && double.IsFinite(value))
                {
                    return true;
                }
                why = "it is not a finite number";
                return false;
            case JsonValueKind.String:
                var text = given.GetString()!.Trim();
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value))
                {
                    return true;
                }
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    why = "it is not a finite number";
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>The booleans pydantic's lax mode reads from strings and numbers.</summary>
    private static bool? BooleanOf(JsonElement given) => given.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when given.TryGetDouble(out var n) && n is 0 or 1 => n == 1,
        JsonValueKind.String => given.GetString()!.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "y" or "on" or "t" => true,
            "false" or "0" or "no" or "n" or "off" or "f" => false,
            _ => null,
        },
        _ => null,
    };

    /// <summary>"a number", "an array of strings", "one of "a", "b"" for the error text.</summary>
    internal static string Describe(JsonElement schema)
    {
        var types = TypesOf(schema);
        if (schema.TryGetProperty("enum", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            return "one of " + string.Join(", ", choices.EnumerateArray().Select(c => c.GetRawText()));
        }
        if (types.Count == 0)
        {
            return "any value";
        }
        return string.Join(" or ", types.Select(t => t switch
        {
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "a boolean (true or false)",
            "string" => "a string",
            "object" => "an object",
            "array" when schema.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object && TypesOf(items) is [var item]
                => $"an array of {item}s, e.g. [{Example(item)}]",
            "array" => "an array",
            _ => t,
        }));
    }

    private static string Example(string type) => type switch
    {
        "string" => "\"a\"",
        "integer" => "1",
        "number" => "1.5",
        "boolean" => "true",
        _ => "",
    };

    /// <summary>What was given, for the error text: the string "abc", the number 2.5, an object, an array of 2 items.</summary>
    internal static string Show(JsonElement given) => given.ValueKind switch
    {
        JsonValueKind.String => "the string " + Quote(given.GetString()!),
        JsonValueKind.Number => "the number " + given.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => $"an array of {given.GetArrayLength()} item(s)",
        _ => "nothing",
    };

    private static string Quote(string text)
    {
        const int max = 60;
        var cut = text.Length > max ? text[..max] + "…" : text;
        var builder = new StringBuilder(cut.Length + 2).Append('"');
        foreach (var c in cut)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }
        return builder.Append('"').ToString();
    }
}
