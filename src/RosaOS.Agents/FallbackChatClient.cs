using System.ClientModel;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace RosaOS.Agents;

/// <summary>
/// Tries providers in order; one that fails transiently (refused, 429 after its own retries, 5xx) is
/// skipped for a cooldown so the next turn goes straight to the next provider. Sits under the agent
/// loop, so any model turn of a tool loop can fail over.
/// </summary>
internal sealed class FallbackChatClient : IChatClient
{
    private readonly (string Name, IChatClient Client)[] _chain;
    private readonly TimeSpan _cooldown;
    private readonly Dictionary<string, DateTimeOffset> _downUntil = [];
    private readonly Lock _lock = new();

    public FallbackChatClient((string Name, IChatClient Client)[] chain, TimeSpan cooldown)
    {
        _chain = chain;
        _cooldown = cooldown;
    }

    /// <summary>True for failures worth trying another provider for.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        AggregateException a => a.InnerExceptions.All(IsTransient),
        ClientResultException { Status: 0 or 408 or 429 or >= 500 } => true,
        HttpRequestException or TaskCanceledException or TimeoutException => true,
        _ => false,
    };

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var history = messages as IList<ChatMessage> ?? [.. messages];
        var candidates = Candidates();
        for (var i = 0; i < candidates.Count; i++)
        {
            var (name, client) = candidates[i];
            try
            {
                return await client.GetResponseAsync(history, options, cancellationToken);
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested && i < candidates.Count - 1)
            {
                MarkDown(name);
            }
        }
        throw new InvalidOperationException("No LLM provider in the chain.");
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var history = messages as IList<ChatMessage> ?? [.. messages];
        var candidates = Candidates();
        for (var i = 0; i < candidates.Count; i++)
        {
            var (name, client) = candidates[i];
            // Fail over only before the first update reached the caller.
            await using var e = client.GetStreamingResponseAsync(history, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            bool has;
            try
            {
                has = await e.MoveNextAsync();
            }
            catch (Exception ex) when (IsTransient(ex) && i < candidates.Count - 1)
            {
                MarkDown(name);
                continue;
            }
            while (has)
            {
                yield return e.Current;
                has = await e.MoveNextAsync();
            }
            yield break;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceType.IsInstanceOfType(this) ? this : _chain[0].Client.GetService(serviceType, serviceKey);

    public void Dispose()
    {
        foreach (var (_, client) in _chain)
        {
            client.Dispose();
        }
    }

    private List<(string Name, IChatClient Client)> Candidates()
    {
        var now = DateTimeOffset.UtcNow;
        lock (_lock)
        {
            var up = _chain.Where(p => !_downUntil.TryGetValue(p.Name, out var t) || t <= now).ToList();
            return up.Count > 0 ? up : [.. _chain];
        }
    }

    private void MarkDown(string name)
    {
        lock (_lock)
        {
            _downUntil[name] = DateTimeOffset.UtcNow + _cooldown;
        }
    }
}
