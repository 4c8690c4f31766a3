using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using RosaOS.EmergencyStop;
using RosaOS.Hosting.Watches;

namespace RosaOS.Mcp.Watches;

/// <summary>
/// What every driver's watch tools share (issue 16): the checks of the arguments all conditions have, who owns a new
/// watch, and add/list/remove on its <see cref="WatchRegistry{TWatch}"/> answered as tool results or
/// <see cref="McpException"/>s. A driver's own tool class keeps its tool attributes and the checks of its conditions.
/// </summary>
public static class WatchTooling
{
    /// <summary>Longest text a watch may carry to the kernel.</summary>
    public const int MaxTextLength = 500;

    /// <summary>Longest debounce between two firings, seconds.</summary>
    public const double MaxDebounceSeconds = 3600;

    /// <summary>The text the kernel is told when the watch fires: 1..500 characters, trimmed.</summary>
    public static string RequireText(string? text)
        => string.IsNullOrWhiteSpace(text) || text.Length > MaxTextLength
            ? throw new McpException($"text must be 1..{MaxTextLength} characters saying what the kernel should be told, got {(text is null ? "nothing" : $"{text.Length} characters")}.")
            : text.Trim();

    /// <summary>Checks debounce_seconds (0..3600) and expires_in_seconds (1..a week).</summary>
    public static void CheckTiming(double debounceSeconds, double expiresInSeconds)
    {
        if (!double.IsFinite(debounceSeconds) || debounceSeconds is < 0 or > MaxDebounceSeconds)
        {
            throw new McpException($"debounce_seconds must be in [0, {MaxDebounceSeconds.ToString(CultureInfo.InvariantCulture)}], got {debounceSeconds.ToString(CultureInfo.InvariantCulture)}.");
        }
        if (!double.IsFinite(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > WatchRegistry<Watch>.MaxExpirySeconds)
        {
            throw new McpException($"expires_in_seconds must be in [1, {WatchRegistry<Watch>.MaxExpirySeconds.ToString(CultureInfo.InvariantCulture)}], got {expiresInSeconds.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>
    /// Who owns a new watch: the caller names itself as it does for the lease (a worker's id, the
    /// <see cref="LeaseContract.Header"/> header of its MCP connection); no header means the kernel agent.
    /// </summary>
    public static string Owner(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var caller = services.GetService<IHttpContextAccessor>()?.HttpContext?.Request.Headers[LeaseContract.Header].FirstOrDefault();
        return string.IsNullOrWhiteSpace(caller) ? "kernel" : caller.Trim();
    }

    /// <summary>Adds the watch; the registry's refusal (the cap) becomes a tool error the model can act on.</summary>
    public static string Add<TWatch>(WatchRegistry<TWatch> watches, TWatch spec) where TWatch : Watch
    {
        ArgumentNullException.ThrowIfNull(watches);
        try
        {
            return new JsonObject { ["added"] = true, ["watch"] = watches.Add(spec).ToJson() }.ToJsonString();
        }
        catch (InvalidOperationException ex)
        {
            throw new McpException(ex.Message, ex);
        }
    }

    /// <summary>The list_watches answer: the active watches and the cap.</summary>
    public static string List<TWatch>(WatchRegistry<TWatch> watches) where TWatch : Watch
    {
        ArgumentNullException.ThrowIfNull(watches);
        return new JsonObject { ["watches"] = new JsonArray([.. watches.List().Select(w => (JsonNode)w.ToJson())]), ["max"] = watches.MaxActive }.ToJsonString();
    }

    /// <summary>The remove_watch answer, or a tool error naming the id that is not an active watch.</summary>
    public static string Remove<TWatch>(WatchRegistry<TWatch> watches, string? watchId) where TWatch : Watch
    {
        ArgumentNullException.ThrowIfNull(watches);
        if (string.IsNullOrWhiteSpace(watchId))
        {
            throw new McpException("watch_id is required: the id add_watch or list_watches returned, got nothing.");
        }
        var removed = watches.Remove(watchId.Trim())
            ?? throw new McpException($"watch_id '{watchId}' is not an active watch of this robot (see list_watches).");
        return new JsonObject { ["removed"] = true, ["watch"] = removed.ToJson() }.ToJsonString();
    }
}
