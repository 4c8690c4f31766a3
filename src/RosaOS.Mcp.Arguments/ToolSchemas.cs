using System.Text.Json;
using System.Text.Json.Nodes;

namespace RosaOS.Mcp.Arguments;

/// <summary>
/// Rewrites generated input schemas to one type per property, as some MCP clients and LLM providers need:
/// <c>["array","null"]</c> becomes <c>"array"</c> (the argument stays optional: it is not in <c>required</c>), and
/// System.Text.Json's <c>["number","string"]</c> with a digits pattern becomes <c>"number"</c>.
/// </summary>
public static class ToolSchemas
{
    /// <summary>The schema with single-type properties (the input is not changed).</summary>
    public static JsonElement SingleTypes(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object || !NeedsRewrite(schema))
        {
            return schema;
        }
        var node = JsonNode.Parse(schema.GetRawText())!;
        Rewrite(node);
        return JsonSerializer.SerializeToElement(node, BinderJson.Default.JsonNode);
    }

    /// <summary>For <c>AIJsonSchemaCreateOptions.TransformSchemaNode</c>: the same rewrite of one node.</summary>
    public static JsonNode SingleTypes(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        RewriteOne(node);
        return node;
    }

    private static bool NeedsRewrite(JsonElement schema)
    {
        if (schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array)
        {
            return true;
        }
        foreach (var child in schema.EnumerateObject())
        {
            if (child.Value.ValueKind == JsonValueKind.Object && NeedsRewrite(child.Value))
            {
                return true;
            }
        }
        return false;
    }

    private static void Rewrite(JsonNode node)
    {
        if (node is not JsonObject obj)
        {
            return;
        }
        RewriteOne(obj);
        foreach (var (_, child) in obj.ToList())
        {
            if (child is not null)
            {
                Rewrite(child);
            }
        }
    }

    private static void RewriteOne(JsonNode node)
    {
        if (node is not JsonObject obj || obj["type"] is not JsonArray array)
        {
            return;
        }
        var element = JsonSerializer.SerializeToElement(obj, BinderJson.Default.JsonNode);
        var types = ToolArgumentBinder.TypesOf(element);
        if (types.Count != 1)
        {
            return;
        }
        var numeric = types[0] is "number" or "integer";
        if (numeric && array.Any(t => t?.GetValue<string>() == "string"))
        {
            obj.Remove("pattern");
        }
        obj["type"] = types[0];
    }
}
