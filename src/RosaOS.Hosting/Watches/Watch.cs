using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace RosaOS.Hosting.Watches;

/// <summary>
/// What every watch has, whatever its driver evaluates (a ROS topic, the Reachy Mini's camera, microphone or head): an
/// owner, the text the kernel is told, a debounce, an expiry and its firing count. A driver derives its own conditions.
/// </summary>
public abstract class Watch
{
    public required string Id { get; init; }
    public required string Condition { get; init; }
    public double DebounceSeconds { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required string Text { get; init; }
    public required string Owner { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Firings so far; the next firing's idempotency key is watch/&lt;id&gt;/&lt;Sequence + 1&gt;.</summary>
    public long Sequence { get; set; }

    /// <summary>Crossing state: true when the condition already held at the last observation (so it does not fire again).</summary>
    public bool? Held { get; set; }

    /// <summary>When it last fired in this process (the debounce); not kept across restarts.</summary>
    [JsonIgnore]
    public DateTimeOffset? LastFiredAt { get; set; }

    /// <summary>The fields every watch shows (GET /watches, list_watches); a driver adds its condition's own.</summary>
    public virtual JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["condition"] = Condition,
        ["debounce_seconds"] = DebounceSeconds,
        ["expires_at"] = ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
        ["text"] = Text,
        ["owner"] = Owner,
        ["created_at"] = CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        ["fired"] = Sequence,
        // Whether the condition held at the last observation (null before the first): a crossing fires only from false.
        ["holds"] = Held,
    };

    /// <summary>At most <paramref name="max"/> characters, with an ellipsis when cut.</summary>
    public static string Truncate(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= max ? text : text[..max] + "…";
    }

    /// <summary>A fresh watch id.</summary>
    public static string NewId() => "watch-" + Guid.NewGuid().ToString("N")[..10];
}

/// <summary>Where watches report (the kernel) and are kept (the data folder).</summary>
public sealed record WatchSettings(Uri KernelUrl, string DataDirectory)
{
    /// <summary>
    /// From a <c>--kernel-url</c> value, else RAG_AGENT_URL, else the kernel on this machine (the same default as
    /// <c>rosa estop</c>'s); throws <see cref="ArgumentException"/> naming the flag for a URL that is not http(s).
    /// </summary>
    public static WatchSettings Resolve(string? kernelUrl)
    {
        var url = kernelUrl ?? RosaEnvironment.Get("RAG_AGENT_URL") ?? $"http://localhost:{RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765)}";
        return new WatchSettings(Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
            ? u : throw new ArgumentException($"--kernel-url {url} is not an http(s) URL."), RosaEnvironment.DataDirectory);
    }
}
