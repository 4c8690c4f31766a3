using System.Text;
using System.Text.RegularExpressions;

namespace RosaOS.Speech.Tts;

/// <summary>
/// Splits text into pieces of at most a given length for engines with an input limit (Groq Orpheus: 200
/// characters): at sentence ends first, then at spaces, and only inside a word when one word is longer than
/// the limit. Whitespace runs collapse to one space; nothing else is dropped.
/// </summary>
public static partial class TextChunker
{
    /// <summary>The chunks of <paramref name="text"/>, each at most <paramref name="maxLength"/> characters.</summary>
    public static IReadOnlyList<string> Split(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 8);
        var normalized = Whitespace().Replace(text, " ").Trim();
        var chunks = new List<string>();
        var current = new StringBuilder();
        foreach (var sentence in SentenceEnd().Split(normalized))
        {
            if (sentence.Length == 0)
            {
                continue;
            }
            foreach (var piece in SplitLong(sentence, maxLength))
            {
                if (current.Length > 0 && current.Length + 1 + piece.Length > maxLength)
                {
                    chunks.Add(current.ToString());
                    current.Clear();
                }
                if (current.Length > 0)
                {
                    current.Append(' ');
                }
                current.Append(piece);
            }
        }
        if (current.Length > 0)
        {
            chunks.Add(current.ToString());
        }
        return chunks;
    }

    private static IEnumerable<string> SplitLong(string sentence, int maxLength)
    {
        if (sentence.Length <= maxLength)
        {
            yield return sentence;
            yield break;
        }
        var current = new StringBuilder();
        foreach (var word in sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var w = word;
            while (w.Length > maxLength)
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
                yield return w[..maxLength];
                w = w[maxLength..];
            }
            if (current.Length > 0 && current.Length + 1 + w.Length > maxLength)
            {
                yield return current.ToString();
                current.Clear();
            }
            if (current.Length > 0)
            {
                current.Append(' ');
            }
            current.Append(w);
        }
        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // Split after . ! ? … ; followed by a space, keeping the punctuation with its sentence.
    [GeneratedRegex(@"(?<=[.!?…;])\s")]
    private static partial Regex SentenceEnd();
}
