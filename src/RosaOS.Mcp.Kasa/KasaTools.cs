using System.ComponentModel;
using System.Globalization;
using ModelContextProtocol;
using ModelContextProtocol.Server;

// Argument names are the snake_case MCP contract of the original server, not C# style.
#pragma warning disable CA1707

namespace RosaOS.Mcp.Kasa;

/// <summary>
/// The original's Kasa light tools. A light is not motion: these tools do not take part in the emergency stop
/// (docs/kasa.md says why) and every one answers with the light the bulb reports afterwards.
/// </summary>
[McpServerToolType]
public sealed class KasaTools(KasaBulbProvider bulbs)
{
    /// <summary>Named colours of set_preset_color: hue and saturation, or a white's colour temperature.</summary>
    internal static readonly IReadOnlyDictionary<string, (int Hue, int Saturation, int Kelvin)> Presets = new Dictionary<string, (int, int, int)>(StringComparer.OrdinalIgnoreCase)
    {
        ["red"] = (0, 100, 0), ["orange"] = (30, 100, 0), ["yellow"] = (60, 100, 0), ["green"] = (120, 100, 0), ["cyan"] = (180, 100, 0),
        ["blue"] = (240, 100, 0), ["purple"] = (280, 100, 0), ["pink"] = (330, 60, 0), ["magenta"] = (300, 100, 0),
        ["warm_white"] = (0, 0, 2700), ["white"] = (0, 0, 4000), ["daylight"] = (0, 0, 5000), ["cool_white"] = (0, 0, 6500),
    };

    [McpServerTool(Name = "turn_on_light", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [Description("Turn the smart light on (with its last colour and brightness). Returns the light's state.")]
    public Task<string> TurnOnLight(CancellationToken cancellationToken = default)
        => RunAsync(b => b.TransitionAsync(on: true, cancellationToken: cancellationToken));

    [McpServerTool(Name = "turn_off_light", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [Description("Turn the smart light off. Returns the light's state.")]
    public Task<string> TurnOffLight(CancellationToken cancellationToken = default)
        => RunAsync(b => b.TransitionAsync(on: false, cancellationToken: cancellationToken));

    [McpServerTool(Name = "toggle_light", Destructive = false, Idempotent = false, OpenWorld = false, ReadOnly = false)]
    [Description("Turn the smart light off if it is on, on if it is off. Returns the light's state.")]
    public Task<string> ToggleLight(CancellationToken cancellationToken = default)
        => RunAsync(async b => await b.TransitionAsync(on: !(await b.GetStateAsync(cancellationToken)).On, cancellationToken: cancellationToken));

    [McpServerTool(Name = "set_brightness", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [Description("Set the light's brightness in percent (1 to 100; values outside are clamped and the answer says so) and turn it on.")]
    public Task<string> SetBrightness(
        [Description("Brightness, percent, 1 to 100.")] int brightness,
        CancellationToken cancellationToken = default)
    {
        var (value, note) = Clamp("brightness", brightness, 1, 100);
        return RunAsync(b => b.TransitionAsync(on: true, brightness: value, cancellationToken: cancellationToken), note);
    }

    [McpServerTool(Name = "set_color_hsv", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [Description("Set a colour by hue (0-360 degrees: 0 red, 120 green, 240 blue), saturation (0-100 %) and value/brightness (1-100 %), and turn the light on.")]
    public Task<string> SetColorHsv(
        [Description("Hue, degrees, 0 to 360.")] int hue,
        [Description("Saturation, percent, 0 to 100.")] int saturation,
        [Description("Brightness, percent, 1 to 100 (default: keep).")] int? value = null,
        CancellationToken cancellationToken = default)
    {
        var (h, hueNote) = Clamp("hue", hue, 0, 360);
        var (s, saturationNote) = Clamp("saturation", saturation, 0, 100);
        var (v, valueNote) = value is { } given ? Clamp("value", given, 1, 100) : ((int?)null, "");
        return RunAsync(b => b.TransitionAsync(on: true, hue: h, saturation: s, colorTemperature: 0, brightness: v, cancellationToken: cancellationToken),
            hueNote + saturationNote + valueNote);
    }

    [McpServerTool(Name = "set_color_temperature", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [Description("Set white light by colour temperature in kelvin (2500 warm to 9000 cool; clamped) and turn the light on.")]
    public Task<string> SetColorTemperature(
        [Description("Colour temperature, kelvin, 2500 to 9000.")] int kelvin,
        CancellationToken cancellationToken = default)
    {
        var (k, note) = Clamp("kelvin", kelvin, 2500, 9000);
        return RunAsync(b => b.TransitionAsync(on: true, colorTemperature: k, cancellationToken: cancellationToken), note);
    }

    [McpServerTool(Name = "set_preset_color", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [Description("Set a named colour and turn the light on: red, orange, yellow, green, cyan, blue, purple, pink, magenta, warm_white, white, daylight, cool_white.")]
    public Task<string> SetPresetColor(
        [Description("Colour name, e.g. red, blue, warm_white.")] string color,
        CancellationToken cancellationToken = default)
    {
        var key = (color ?? "").Trim().Replace(' ', '_').Replace('-', '_');
        if (!Presets.TryGetValue(key, out var preset))
        {
            throw new McpException($"Unknown colour '{color}'. Use one of: {string.Join(", ", Presets.Keys)}; or set_color_hsv for any other colour.");
        }
        return RunAsync(b => preset.Kelvin > 0
            ? b.TransitionAsync(on: true, colorTemperature: preset.Kelvin, cancellationToken: cancellationToken)
            : b.TransitionAsync(on: true, hue: preset.Hue, saturation: preset.Saturation, colorTemperature: 0, cancellationToken: cancellationToken));
    }

    [McpServerTool(Name = "get_light_status", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = true)]
    [Description("Whether the light is on, its colour (hue/saturation or white temperature) and brightness.")]
    public Task<string> GetLightStatus(CancellationToken cancellationToken = default)
        => RunAsync(b => b.GetStateAsync(cancellationToken));

    private static (int Value, string Note) Clamp(string name, int value, int min, int max)
    {
        var clamped = Math.Clamp(value, min, max);
        return (clamped, clamped == value ? "" : $"{name} {value.ToString(CultureInfo.InvariantCulture)} → {clamped.ToString(CultureInfo.InvariantCulture)} (limit {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}). ");
    }

    private async Task<string> RunAsync(Func<KasaBulb, Task<LightState>> action, string note = "")
    {
        try
        {
            var bulb = await bulbs.GetAsync(CancellationToken.None);
            return note + (await action(bulb)).Describe();
        }
        catch (Protocol.KasaException e)
        {
            throw new McpException(e.Message + " Check that the bulb is powered and on this network (rosa kasa --host, or discovery).", e);
        }
    }
}
