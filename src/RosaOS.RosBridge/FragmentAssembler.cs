using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RosaOS.RosBridge;

/// <summary>
/// Reassembles rosbridge <c>fragment</c> frames. rosbridge computes <c>total</c> with a float division
/// (e.g. 5.806) and sends floor(total) pieces; ids are the integer 0 for topic data and the call id for
/// service responses. Pieces are joined by <c>num</c>, then parsed as one frame.
/// </summary>
internal sealed class FragmentAssembler(int maxBytes)
{
    // Bounded so a server that never finishes a message cannot grow memory without limit.
    private const int MaxOpenMessages = 16;
    private readonly Dictionary<string, Partial> _open = new(StringComparer.Ordinal);

    public void Clear() => _open.Clear();

    /// <summary>Adds a piece; <paramref name="whole"/> is the complete frame once all pieces are in.</summary>
    public bool Add(JsonObject frame, out byte[]? whole, out string? error)
    {
        whole = null;
        error = null;
        var id = frame["id"]?.ToJsonString() ?? "null";
        if (frame["data"] is not JsonValue d || !d.TryGetValue<string>(out var data)
            || frame["num"] is not JsonValue n || !n.TryGetValue<int>(out var num)
            || frame["total"] is not JsonValue t || t.GetValueKind() != JsonValueKind.Number)
        {
            error = "fragment without data, num or total";
            return false;
        }
        var total = (int)Math.Floor(t.GetValue<double>());
        if (total < 1 || num < 0 || num >= total || total > maxBytes)
        {
            error = $"fragment {num} of {total} is out of range";
            return false;
        }
        if (!_open.TryGetValue(id, out var partial) || partial.Pieces.Length != total)
        {
            if (_open.Count >= MaxOpenMessages)
            {
                _open.Clear();
            }
            _open[id] = partial = new Partial(new string?[total]);
        }
        partial.Bytes += data.Length;
        if (partial.Bytes > maxBytes)
        {
            _open.Remove(id);
            error = $"fragmented message larger than {maxBytes} bytes";
            return false;
        }
        partial.Pieces[num] = data;
        if (partial.Pieces.Any(p => p is null))
        {
            return true;
        }
        _open.Remove(id);
        whole = Encoding.UTF8.GetBytes(string.Concat(partial.Pieces));
        return true;
    }

    private sealed class Partial(string?[] pieces)
    {
        public string?[] Pieces { get; } = pieces;
        public long Bytes { get; set; }
    }
}
