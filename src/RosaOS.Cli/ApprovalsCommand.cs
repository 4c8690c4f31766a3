using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RosaOS.EmergencyStop;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Cli;

/// <summary>
/// The `rosa approvals` sub-command: lists the calls waiting for a person's approval on every driver (through the kernel,
/// which audits each decision), and approves (<c>--approve ID</c>) or denies (<c>--deny ID</c>) one, as <c>"by": "cli"</c>.
/// </summary>
internal static class ApprovalsCommand
{
    private static readonly JsonSerializerOptions s_print = new() { WriteIndented = true };

    public static Command Create()
    {
        var approve = new Option<string?>("--approve") { Description = "Approve the waiting call with this id: it runs once, with the arguments listed." };
        var deny = new Option<string?>("--deny") { Description = "Deny the waiting call with this id: the agent is told a person refused it." };
        var note = new Option<string?>("--note") { Description = "Why, in a few words (told to the agent on --deny; kept in the audit log)." };
        var kernelUrl = new Option<string?>("--kernel-url") { Description = "Kernel URL (default RAG_AGENT_URL, else http://localhost:RAG_AGENT_PORT)." };
        var json = new Option<bool>("--json") { Description = "Print the kernel's answer as JSON." };
        var command = new Command("approvals", "List the robot calls waiting for a person's approval; --approve ID or --deny ID decides one.")
        {
            approve, deny, note, kernelUrl, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await Task.Yield();
            Uri kernel;
            string? id;
            bool approving;
            try
            {
                var (a, d) = (parse.GetValue(approve), parse.GetValue(deny));
                if (a is not null && d is not null)
                {
                    throw new ArgumentException("--approve and --deny exclude each other.");
                }
                id = (a ?? d)?.Trim();
                approving = a is not null;
                if (id is not null && (id.Length is 0 or > 64 || !id.All(char.IsAsciiLetterOrDigit)))
                {
                    throw new ArgumentException($"--{(approving ? "approve" : "deny")} takes the id `rosa approvals` lists (letters and digits), got '{id}'.");
                }
                if (parse.GetValue(note) is { Length: > ApprovalContract.MaxTextLength } n)
                {
                    throw new ArgumentException($"--note is {n.Length} characters; at most {ApprovalContract.MaxTextLength}.");
                }
                var url = parse.GetValue(kernelUrl) ?? RosaEnvironment.Get("RAG_AGENT_URL") ?? $"http://localhost:{RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765)}";
                kernel = Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                    ? u : throw new ArgumentException($"--kernel-url {url} is not an http(s) URL.");
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"rosa approvals: {e.Message}");
                return 2;
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
            var client = new KernelClient(http, new KernelClientOptions { BaseAddress = kernel });
            try
            {
                var listed = await client.GetObjectAsync("api/approvals", cancellationToken);
                if (!listed.Success || listed.Answer is not { } list)
                {
                    await Console.Error.WriteLineAsync($"rosa approvals: HTTP {listed.Status}: {listed.Body}");
                    return 1;
                }
                var pending = list["pending"]!.AsArray();
                if (id is null)
                {
                    Print(list, pending, parse.GetValue(json));
                    return 0;
                }
                if (pending.FirstOrDefault(p => p!["id"]!.ToString() == id) is not { } call)
                {
                    await Console.Error.WriteLineAsync($"rosa approvals: no call waits with id '{id}' (it was decided, timed out or its caller gave up); waiting: " +
                        (pending.Count == 0 ? "none" : string.Join(", ", pending.Select(p => $"{p!["id"]} ({p["driver"]} {p["tool"]})"))));
                    return 1;
                }
                var decision = new ApprovalDecisionBody(EstopContract.Sources.Cli, parse.GetValue(note), call["digest"]!.ToString());
                var decided = await client.DecideApprovalAsync(call["driver"]!.ToString(), id, approving, decision, cancellationToken);
                if (!decided.Success)
                {
                    await Console.Error.WriteLineAsync($"rosa approvals: HTTP {decided.Status}: {decided.Body}");
                    return 1;
                }
                Console.WriteLine(parse.GetValue(json) ? decided.Body
                    : $"{(approving ? "Approved" : "Denied")}: {call["driver"]} {call["tool"]} {call["arguments"]?.ToJsonString()} (id {id}).");
                return 0;
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException)
            {
                await Console.Error.WriteLineAsync($"rosa approvals: the kernel at {kernel} is unreachable ({e.Message}); start it with `rosa up`.");
                return 1;
            }
        });
        return command;
    }

    private static void Print(JsonNode list, JsonArray pending, bool json)
    {
        if (json)
        {
            Console.WriteLine(list.ToJsonString(s_print));
            return;
        }
        foreach (var problem in list["drivers"]!.AsArray().Where(d => d!["problem"] is not null))
        {
            Console.WriteLine($"! {problem!["problem"]}");
        }
        if (pending.Count == 0)
        {
            Console.WriteLine("No call waits for approval.");
            return;
        }
        foreach (var p in pending)
        {
            var left = DateTimeOffset.Parse(p!["expires_at"]!.ToString(), CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p["id"]}  {p["driver"]}  {p["tool"]}  {p["arguments"]!.ToJsonString()}  ({p["reason"]}; caller {p["caller"]?.ToString() ?? "unknown"}; {Math.Max(0, left.TotalSeconds):0} s left)"));
        }
        Console.WriteLine("Decide with: rosa approvals --approve ID  or  rosa approvals --deny ID [--note WHY]");
    }
}
