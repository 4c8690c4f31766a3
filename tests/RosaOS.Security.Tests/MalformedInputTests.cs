using System.Net.Http.Headers;
using System.Text;
using RosaOS.Testing;

namespace RosaOS.Security.Tests;

/// <summary>A lone UTF-16 surrogate, deep nesting, invalid UTF-8 and malformed JSON are the caller's error everywhere: 4xx, never 500.</summary>
// On the fuzz run's stack: a malformed request that is still accepted (a bodyless POST /api/daemon/stop) changes the robot.
[Collection(nameof(FuzzStackCollection))]
public sealed class MalformedInputTests(SecurityStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Bodies => new()
    {
        """{"text":"\ud800","prompt":"\udfff","worker_id":"\ud800","message":"x","done":true,"source":"\ud800","volume":"\ud800","file":"\ud800"}""",
        new string('[', 5000) + new string(']', 5000),
        "{\"text\":\"\u00ff\"}",
        """{"text":""",
        "NaN",
        """{"duration":Infinity}""",
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task EveryStateChangingEndpointAnswers4xx(string body)
    {
        var bytes = body == "{\"text\":\"\u00ff\"}" ? [0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d] : Encoding.UTF8.GetBytes(body);
        var failures = new List<string>();
        foreach (var service in stack.Services)
        {
            foreach (var (method, path) in await stack.StateChangingAsync(service, Ct))
            {
                if (method != "POST" || path == "/sim/speaker")
                {
                    continue;
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, service.BaseUrl + path) { Content = new ByteArrayContent(bytes) };
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
                request.Headers.Accept.ParseAdd("application/json");
                request.Headers.Accept.ParseAdd("text/event-stream");
                using var response = await stack.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
                if ((int)response.StatusCode >= 500)
                {
                    var text = await response.Content.ReadAsStringAsync(Ct);
                    // The daemon's contract once the fuzz run stopped its backend; anything else at 500+ is a bug.
                    if (!((int)response.StatusCode == 503 && text.Contains("Backend not running", StringComparison.Ordinal)))
                    {
                        failures.Add($"{service.Name} POST {path}: {(int)response.StatusCode} {text}");
                    }
                }
            }
        }
        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_bodyless_POST_without_a_content_type_to_every_MCP_endpoint_is_refused_not_a_500()
    {
        // Found by the 10,000-case fuzz run: the MCP SDK's handler read such a request as JSON and threw.
        var answers = new List<string>();
        foreach (var service in stack.Services)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, service.BaseUrl + "/mcp");
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await stack.Http.SendAsync(request, Ct);
            answers.Add($"{service.Name}: {(int)response.StatusCode}");
        }
        Assert.All(answers, a => Assert.Matches(@": 4\d\d$", a));
        Assert.Contains(answers, a => a.EndsWith(": 415", StringComparison.Ordinal));
    }
}
