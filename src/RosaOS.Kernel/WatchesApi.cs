using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Configuration;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// Watches over HTTP, gathered from the drivers that evaluate them (issue 16): <c>GET /api/watches</c> asks every switched-on
/// driver of drivers.json for its <c>GET /watches</c> (with the entry's headers) and lists them all, each with its driver; a
/// driver that is down or serves no watches is named with the reason, never a failure of the list. <c>POST
/// /api/watches/{driver}/{id}/cancel</c> (a JSON object body, like every state-changing endpoint, so RequestGuard's checks apply)
/// forwards a person's cancel to that driver's <c>POST /watches/{id}/cancel</c>, audits it and publishes a <c>watches</c> event.
/// The kernel keeps no copy: the driver's list is the truth (it survives the driver's restarts in its data folder).
/// </summary>
public static class WatchesApi
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(3) };

    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/watches", ListAsync);
        app.MapPost("/api/watches/{driver}/{id}/cancel", CancelAsync);
    }

    /// <summary>One driver's watches as the driver reports them, or why there are none to show.</summary>
    private sealed record DriverWatches(string Driver, JsonArray Watches, int? Max, string? Problem);

    private static async Task<IResult> ListAsync(HttpContext context, DriverRegistry drivers)
    {
        var answers = await Task.WhenAll(drivers.All.Select(d => FetchAsync(drivers.Config, d, context.RequestAborted)));
        var watches = new List<JsonObject>();
        foreach (var answer in answers)
        {
            foreach (var watch in answer.Watches.OfType<JsonObject>())
            {
                watches.Add(Normalise(answer.Driver, watch));
            }
        }
        return TypedResults.Json(new WatchesAnswer(watches, [.. answers.Select(a => new WatchDriverRow(a.Driver, a.Watches.Count, a.Max, a.Problem))]),
            KernelJson.Relaxed.WatchesAnswer);
    }

    /// <summary>
    /// The fields every driver's watch is shown with (driver, id, condition, what it looks at, owner, expiry, fire count, text),
    /// read by name so any driver serving the same surface fits; the driver's own object is kept whole under "spec".
    /// </summary>
    private static JsonObject Normalise(string driver, JsonObject watch)
    {
        string? Text(string name) => watch[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var on = Text("topic") ?? Text("source") ?? Text("sensor");
        var field = Text("field");
        var condition = Text("condition") ?? "?";
        var detail = condition switch
        {
            "above" or "below" => watch["threshold"]?.ToJsonString(),
            "equals" => watch["value"]?.ToJsonString(),
            "silent_for" => watch["silent_seconds"] is { } s ? s.ToJsonString() + " s" : null,
            _ => null,
        };
        var summary = string.Join(" ", new[] { on is null ? null : field is { Length: > 0 } ? $"{on} {field}" : on, condition, detail }.Where(p => p is { Length: > 0 }));
        return new JsonObject
        {
            ["driver"] = driver,
            ["id"] = Text("id"),
            ["condition"] = condition,
            ["summary"] = summary,
            ["text"] = Text("text"),
            ["owner"] = Text("owner"),
            ["expires_at"] = Text("expires_at"),
            ["fired"] = watch["fired"] is JsonValue f && f.TryGetValue<long>(out var n) ? n : 0,
            ["spec"] = watch.DeepClone(),
        };
    }

    private static async Task<DriverWatches> FetchAsync(DriversConfig config, DriverEntry driver, CancellationToken cancellationToken)
    {
        if (!driver.Enabled)
        {
            return new DriverWatches(driver.Name, [], null, "disabled: " + config.DisabledReason(driver));
        }
        try
        {
            using var request = driver.Request(HttpMethod.Get, "/watches");
            using var response = await s_http.SendAsync(request, cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return new DriverWatches(driver.Name, [], null, $"{driver.Name} has no watches (it serves no /watches)");
            }
            if (!response.IsSuccessStatusCode)
            {
                return new DriverWatches(driver.Name, [], null, $"{driver.Name} answered HTTP {(int)response.StatusCode} for /watches");
            }
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject;
            if (body?["watches"] is not JsonArray list)
            {
                return new DriverWatches(driver.Name, [], null, $"{driver.Name} answered /watches without a \"watches\" list");
            }
            body.Remove("watches");
            int? max = body["max"] is JsonValue m && m.TryGetValue<int>(out var cap) ? cap : null;
            return new DriverWatches(driver.Name, list, max, null);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new DriverWatches(driver.Name, [], null, $"{driver.Name} is unreachable: {(e is TaskCanceledException ? "no answer in 3 s" : e.Message)}");
        }
    }

    private static async Task<IResult> CancelAsync(HttpContext context, string driver, string id, DriverRegistry drivers, KernelDatabase database, EventHub hub)
    {
        var (body, error) = await KernelApi.ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        string by;
        string args;
        using (body)
        {
            if (!KernelApi.TryString(body.RootElement, "by", required: false, out var who, out error))
            {
                return Bad(error!);
            }
            if (who is { Length: > 100 })
            {
                return Bad($"\"by\" is {who.Length} characters; at most 100");
            }
            by = who is { Length: > 0 } ? who : "a person (ui)";
            args = body.RootElement.GetRawText();
        }
        if (id.Length is 0 or > 100 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return Bad($"the watch id must be 1 to 100 ASCII letters, digits, '-' or '_', got '{(id.Length > 100 ? id[..100] + "…" : id)}'");
        }
        if (drivers.Config.Find(driver) is not { } entry)
        {
            return KernelApi.Error($"no driver named '{driver}'; configured: {string.Join(", ", drivers.All.Select(d => d.Name))}", 404);
        }
        if (!entry.Enabled)
        {
            return KernelApi.Error($"driver '{driver}' is disabled ({drivers.Config.DisabledReason(entry)}); it has no active watches", 409);
        }
        try
        {
            using var request = entry.Request(HttpMethod.Post, $"/watches/{Uri.EscapeDataString(id)}/cancel", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
            using var response = await s_http.SendAsync(request, context.RequestAborted);
            var text = await response.Content.ReadAsStringAsync(context.RequestAborted);
            JsonNode? answer = null;
            try
            {
                answer = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // Not JSON (a proxy's error page): answered by status code below.
            }
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // The driver's own reason when it has one ("No active watch …"); a bare 404 means it serves no watches at all.
                var reason = answer?["error"]?.ToString() ?? $"{driver} serves no watches (no /watches/{{id}}/cancel)";
                return KernelApi.Error(reason, 404);
            }
            if (!response.IsSuccessStatusCode)
            {
                return KernelApi.Error($"{driver} answered HTTP {(int)response.StatusCode}: {answer?["error"]?.ToString() ?? text}", 502);
            }
            var watch = answer?["watch"] as JsonObject;
            var summary = watch is null ? id : $"{id} ({Normalise(driver, watch)["summary"]}: {watch["text"]})";
            database.Audit("person", driver, "cancel_watch", args, $"watch {summary} cancelled by {by}", false, 0);
            hub.Publish("watches", new WatchEvent("cancelled", driver, id, by), KernelJson.Default.WatchEvent);
            return TypedResults.Json(new WatchCancelAnswer(true, driver, watch is null ? null : Normalise(driver, watch)), KernelJson.Relaxed.WatchCancelAnswer);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            return KernelApi.Error($"{driver} is unreachable: {e.Message}", 502);
        }
    }

    private static IResult Bad(string error) => KernelApi.Error(error, StatusCodes.Status400BadRequest);
}
