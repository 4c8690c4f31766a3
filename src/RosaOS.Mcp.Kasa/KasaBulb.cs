using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.Mcp.Kasa.Protocol;

namespace RosaOS.Mcp.Kasa;

/// <summary>A bulb's light as its <c>light_state</c> reports it (when off, the values it will come back on with).</summary>
public sealed record LightState(bool On, int Hue, int Saturation, int ColorTemperature, int Brightness)
{
    /// <summary>One sentence for the model.</summary>
    public string Describe() => (On ? "The light is on" : "The light is off")
        + (ColorTemperature > 0
            ? $", white at {ColorTemperature.ToString(CultureInfo.InvariantCulture)} K"
            : $", colour hue {Hue.ToString(CultureInfo.InvariantCulture)}°, saturation {Saturation.ToString(CultureInfo.InvariantCulture)}%")
        + $", brightness {Brightness.ToString(CultureInfo.InvariantCulture)}%" + (On ? "." : " (when turned on).");

    internal static LightState From(JsonNode? node)
    {
        if (node is null)
        {
            throw new KasaException("The bulb's answer has no light_state.");
        }
        var on = (int?)node["on_off"] == 1;
        var values = on ? node : node["dft_on_state"] ?? node;
        return new LightState(on, (int?)values["hue"] ?? 0, (int?)values["saturation"] ?? 0, (int?)values["color_temp"] ?? 0, (int?)values["brightness"] ?? 100);
    }
}

/// <summary>The bulb's IOT commands (<c>get_sysinfo</c>, <c>transition_light_state</c>) over either transport.</summary>
public sealed class KasaBulb(IKasaTransport transport)
{
    internal const string LightingService = "smartlife.iot.smartbulb.lightingservice";

    /// <summary>Which protocol this bulb is spoken to with.</summary>
    public string Protocol => transport.Name;

    /// <summary>The system information (alias, model, light_state…).</summary>
    public async Task<JsonNode> SysinfoAsync(CancellationToken cancellationToken)
    {
        var answer = await transport.SendAsync(JsonNode.Parse(KasaDiscovery.SysinfoRequest)!, cancellationToken);
        var info = answer["system"]?["get_sysinfo"] ?? throw new KasaException("The bulb's answer to get_sysinfo has no system.get_sysinfo.");
        Check(info, "get_sysinfo");
        return info;
    }

    /// <summary>The present light.</summary>
    public async Task<LightState> GetStateAsync(CancellationToken cancellationToken)
        => LightState.From((await SysinfoAsync(cancellationToken))["light_state"]);

    /// <summary>Changes the light; unspecified values stay. Returns the light the bulb reports afterwards.</summary>
    public async Task<LightState> TransitionAsync(bool? on = null, int? hue = null, int? saturation = null, int? colorTemperature = null, int? brightness = null,
        CancellationToken cancellationToken = default)
    {
        var change = new JsonObject { ["ignore_default"] = 1, ["transition_period"] = 0 };
        if (on is { } o)
        {
            change["on_off"] = o ? 1 : 0;
        }
        if (hue is { } h)
        {
            change["hue"] = h;
        }
        if (saturation is { } s)
        {
            change["saturation"] = s;
        }
        if (colorTemperature is { } t)
        {
            change["color_temp"] = t;
        }
        if (brightness is { } b)
        {
            change["brightness"] = b;
        }
        var request = new JsonObject { [LightingService] = new JsonObject { ["transition_light_state"] = change } };
        var answer = await transport.SendAsync(request, cancellationToken);
        var state = answer[LightingService]?["transition_light_state"] ?? throw new KasaException("The bulb's answer has no transition_light_state.");
        Check(state, "transition_light_state");
        return LightState.From(state);
    }

    private static void Check(JsonNode node, string what)
    {
        if ((int?)node["err_code"] is { } code && code != 0)
        {
            throw new KasaException($"The bulb refused {what}: error {code} {(string?)node["err_msg"]}".TrimEnd());
        }
    }
}
