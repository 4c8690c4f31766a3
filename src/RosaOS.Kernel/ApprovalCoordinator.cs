using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// The kernel's side of the approval contract (RosaOS.EmergencyStop): the drivers decide which calls wait and hold them;
/// the kernel gathers every driver's waiting calls for the UI and <c>rosa approvals</c>, forwards a person's decision, and
/// watches the drivers that have an <c>approval</c> policy in drivers.json (once a second) to publish an <c>approval</c>
/// event when a call starts waiting and to audit every outcome with who decided (a person, the timeout, or the caller).
/// </summary>
public sealed partial class ApprovalCoordinator : BackgroundService
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Lock _lock = new();
    private readonly HashSet<string> _announced = new(StringComparer.Ordinal);
    private readonly HashSet<string> _audited = new(StringComparer.Ordinal);
    private readonly HashSet<string> _watched = new(StringComparer.Ordinal);
    private readonly DriverRegistry _drivers;
    private readonly EventHub _hub;
    private readonly KernelDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<ApprovalCoordinator> _logger;

    public ApprovalCoordinator(DriverRegistry drivers, EventHub hub, KernelDatabase database, TimeProvider time, ILogger<ApprovalCoordinator> logger)
    {
        _drivers = drivers;
        _hub = hub;
        _database = database;
        _time = time;
        _logger = logger;
    }

    /// <summary>The enabled drivers whose drivers.json entry has an approval policy.</summary>
    public IReadOnlyList<DriverEntry> Gated => [.. _drivers.All.Where(d => d.Enabled && d.Approval is { IsEmpty: false })];

    /// <summary>One driver's answer to <c>GET /approvals</c>, or the reason there is none.</summary>
    public sealed record DriverApprovals(string Driver, ApprovalList? List, string? Problem);

    /// <summary>Every gated driver's waiting calls and recent outcomes, asked now.</summary>
    public async Task<IReadOnlyList<DriverApprovals>> ListAsync(CancellationToken cancellationToken)
        => await Task.WhenAll(Gated.Select(d => FetchAsync(d, cancellationToken)));

    /// <summary>Forwards a person's decision to the driver; audits it. Returns the driver's status code and JSON answer.</summary>
    public async Task<(int Status, JsonElement Body)> DecideAsync(DriverEntry driver, string id, bool approve, ApprovalDecisionRequest decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(driver);
        using var request = driver.Request(HttpMethod.Post, $"{ApprovalContract.HttpPath}/{Uri.EscapeDataString(id)}/{(approve ? "approve" : "deny")}",
            JsonContent.Create(decision, ApprovalJson.Default.ApprovalDecisionRequest));
        using var response = await s_http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement body;
        try
        {
            using var document = JsonDocument.Parse(text);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            body = JsonSerializer.SerializeToElement(new EstopError($"{driver.Name} answered HTTP {(int)response.StatusCode} without JSON"), ApprovalJson.Default.EstopError);
        }
        if (response.IsSuccessStatusCode && body.Deserialize(ApprovalJson.Default.ApprovalOutcome) is { } outcome)
        {
            Audit(outcome);
        }
        return ((int)response.StatusCode, body);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Gated.Count == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        do
        {
            try
            {
                foreach (var answer in await ListAsync(stoppingToken))
                {
                    Observe(answer);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // One bad answer must not end the watch (an unhandled exception here would stop the kernel).
                LogWatchFailed(_logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private void Observe(DriverApprovals answer)
    {
        if (answer.List is not { } list)
        {
            return;
        }
        bool first;
        lock (_lock)
        {
            // Outcomes a driver kept from before this kernel started were audited by the kernel that saw them.
            first = _watched.Add(answer.Driver);
        }
        foreach (var outcome in list.Recent.Reverse())
        {
            if (first)
            {
                lock (_lock)
                {
                    _audited.Add(Key(outcome.Driver, outcome.Id));
                }
            }
            else
            {
                Audit(outcome);
            }
        }
        foreach (var call in list.Pending)
        {
            bool fresh;
            lock (_lock)
            {
                fresh = _announced.Add(Key(call.Driver, call.Id));
            }
            if (fresh)
            {
                _hub.Publish("approval", call, KernelHostJson.Default.PendingApproval);
                LogWaiting(_logger, call.Driver, call.Tool, call.Id);
            }
        }
    }

    private void Audit(ApprovalOutcome outcome)
    {
        lock (_lock)
        {
            if (!_audited.Add(Key(outcome.Driver, outcome.Id)))
            {
                return;
            }
            _announced.Remove(Key(outcome.Driver, outcome.Id));
            if (_audited.Count > 4096)
            {
                _audited.Clear();
                _audited.Add(Key(outcome.Driver, outcome.Id));
            }
        }
        var who = outcome.By is "ui" or "cli" ? "person" : outcome.By;
        var text = $"{outcome.Tool} on {outcome.Driver} {outcome.Decision.Replace('_', ' ')} by {outcome.By}{(outcome.Note is { Length: > 0 } n ? $": {n}" : "")} (approval {outcome.Id}, caller {outcome.Caller ?? "unknown"})";
        _database.Audit(who, outcome.Driver, "approval_" + outcome.Decision, outcome.Arguments.GetRawText(), text, outcome.Decision != "approved", 0);
        _hub.Publish("approval_decided", outcome, KernelHostJson.Default.ApprovalOutcome);
    }

    private static async Task<DriverApprovals> FetchAsync(DriverEntry driver, CancellationToken cancellationToken)
    {
        try
        {
            using var request = driver.Request(HttpMethod.Get, ApprovalContract.HttpPath);
            using var response = await s_http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            var list = await response.Content.ReadFromJsonAsync(ApprovalJson.Default.ApprovalList, cancellationToken);
            // A driver serving /approvals without a gate was started without this policy (another drivers.json, or another --name):
            // it runs every call at once, and the person must not be told otherwise.
            return list is { Driver.Length: 0 }
                ? new DriverApprovals(driver.Name, null, $"{driver.Name} has an approval policy in this kernel's drivers.json but the running driver enforces none " +
                    "(it was started with another drivers.json or --name), so its calls run without waiting; restart it with this drivers.json")
                : new DriverApprovals(driver.Name, list, list is null ? "no answer" : null);
        }
        catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return new DriverApprovals(driver.Name, null, $"{driver.Name} has an approval policy in drivers.json but does not implement approvals (no {ApprovalContract.HttpPath}; rosa ros, rosa reachy and rosa kasa do), so nothing waits for a person there");
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or NotSupportedException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new DriverApprovals(driver.Name, null, $"{driver.Name} did not list its approvals: {e.Message}");
        }
    }

    private static string Key(string driver, string id) => driver + "/" + id;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching the drivers' approvals failed once: {Reason}")]
    private static partial void LogWatchFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver}: {Tool} waits for a person's approval (id {Id}); approve or deny it in the UI or with rosa approvals.")]
    private static partial void LogWaiting(ILogger logger, string driver, string tool, string id);
}
