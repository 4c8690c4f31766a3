using System.Text;
using System.Text.RegularExpressions;

namespace RosaOS.Configuration;

/// <summary>One <c>KEY=value</c> of a .env file; <see cref="Value"/> is null for a bare <c>KEY</c> (which sets nothing).</summary>
public sealed record DotEnvBinding(string Key, string? Value, int Line);

/// <summary>What loading a .env file did: the keys it set and those the real environment already had. Never values.</summary>
/// <param name="Path">The file read.</param>
/// <param name="Taken">Keys set from the file, in file order.</param>
/// <param name="AlreadySet">Keys the environment already had (the environment wins).</param>
/// <param name="BadLines">Line numbers of statements that could not be parsed (skipped, as python-dotenv does).</param>
public sealed record DotEnvResult(string Path, IReadOnlyList<string> Taken, IReadOnlyList<string> AlreadySet, IReadOnlyList<int> BadLines);

/// <summary>
/// .env files with python-dotenv's semantics, so a Python rosaOS user's file means the same here: <c>export</c> is
/// allowed, keys unquoted or single-quoted, values unquoted (a <c> #</c> starts a comment), single-quoted (escapes
/// <c>\\ \'</c>) or double-quoted (escapes <c>\\ \' \" \a \b \f \n \r \t \v</c>), quoted values may span lines,
/// <c>${VAR}</c> and <c>${VAR:-default}</c> expand with the real environment first (load_dotenv's override=False),
/// a line that does not parse is skipped, and <c>PYTHON_DOTENV_DISABLED=1</c> turns loading off.
/// </summary>
public static partial class DotEnv
{
    /// <summary>The variable that turns .env loading off (python-dotenv's own switch).</summary>
    public const string DisabledVariable = "PYTHON_DOTENV_DISABLED";

    /// <summary>Parses .env text into bindings (escapes decoded, variables not yet expanded) and the lines it skipped.</summary>
    public static (IReadOnlyList<DotEnvBinding> Bindings, IReadOnlyList<int> BadLines) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new Reader(text.StartsWith('\uFEFF') ? text[1..] : text);
        var bindings = new List<DotEnvBinding>();
        var bad = new List<int>();
        while (reader.HasNext)
        {
            var line = reader.Line;
            try
            {
                reader.Read(MultilineWhitespace());
                if (!reader.HasNext)
                {
                    break;
                }
                line = reader.Line;
                reader.Read(Export());
                var key = ParseKey(reader);
                reader.Read(Whitespace());
                string? value = null;
                if (reader.Peek == '=')
                {
                    reader.Read(EqualSign());
                    value = ParseValue(reader);
                }
                reader.Read(Comment());
                reader.Read(EndOfLine());
                if (key is not null)
                {
                    bindings.Add(new DotEnvBinding(key, value, line));
                }
            }
            catch (FormatException)
            {
                // As python-dotenv: skip from where parsing stopped to the end of that line, and go on.
                bad.Add(line);
                reader.Read(RestOfLine());
            }
        }
        return (bindings, bad);
    }

    /// <summary>
    /// Expands <c>${VAR}</c> / <c>${VAR:-default}</c> in each value, looking first in the real environment, then in the
    /// values defined above it in the file, then the default (python-dotenv with override=False).
    /// </summary>
    public static IReadOnlyList<(string Key, string? Value)> Resolve(IEnumerable<DotEnvBinding> bindings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        ArgumentNullException.ThrowIfNull(environment);
        var resolved = new Dictionary<string, string?>(StringComparer.Ordinal);
        var ordered = new List<(string, string?)>();
        foreach (var binding in bindings)
        {
            string? value = null;
            if (binding.Value is { } raw)
            {
                value = PosixVariable().Replace(raw, m =>
                {
                    var name = m.Groups["name"].Value;
                    return environment(name) ?? (resolved.TryGetValue(name, out var earlier) ? earlier : null)
                        ?? (m.Groups["default"].Success ? m.Groups["default"].Value : "");
                });
            }
            resolved[binding.Key] = value;
            ordered.Add((binding.Key, value));
        }
        return ordered;
    }

    /// <summary>The .env file to read: the working directory's, else the repository root's, else none.</summary>
    public static string? Find(string workingDirectory, string repositoryRoot)
    {
        foreach (var folder in new[] { workingDirectory, repositoryRoot })
        {
            var path = Path.Combine(folder, ".env");
            if (File.Exists(path))
            {
                return Path.GetFullPath(path);
            }
        }
        return null;
    }

    /// <summary>
    /// Finds and loads the .env file into this process's environment, filling only variables the environment does not
    /// set. Returns null when loading is disabled or there is no file.
    /// </summary>
    public static DotEnvResult? LoadIntoEnvironment(string workingDirectory, string repositoryRoot)
    {
        if (IsDisabled(Environment.GetEnvironmentVariable(DisabledVariable)) || Find(workingDirectory, repositoryRoot) is not { } path)
        {
            return null;
        }
        var (bindings, bad) = Parse(File.ReadAllText(path, Encoding.UTF8));
        // Like a Python dict: a key defined twice keeps its first place and its last value.
        var values = new OrderedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in Resolve(bindings, Environment.GetEnvironmentVariable))
        {
            values[key] = value;
        }
        var taken = new List<string>();
        var alreadySet = new List<string>();
        foreach (var (key, value) in values)
        {
            if (Environment.GetEnvironmentVariable(key) is not null)
            {
                alreadySet.Add(key);
            }
            else if (value is not null)
            {
                Environment.SetEnvironmentVariable(key, value);
                taken.Add(key);
            }
        }
        return new DotEnvResult(path, taken, alreadySet, bad);
    }

    /// <summary>python-dotenv's truthy values for PYTHON_DOTENV_DISABLED.</summary>
    public static bool IsDisabled(string? value)
        => value is not null && value.Trim().ToLowerInvariant() is "1" or "true" or "t" or "yes" or "y";

    private static string? ParseKey(Reader reader)
    {
        return reader.Peek switch
        {
            '#' => null,
            '\'' => reader.Read(SingleQuotedKey()),
            _ => reader.Read(UnquotedKey()),
        };
    }

    private static string ParseValue(Reader reader)
    {
        switch (reader.Peek)
        {
            case '\'':
                return SingleQuoteEscapes().Replace(reader.Read(SingleQuotedValue()), Unescape);
            case '"':
                return DoubleQuoteEscapes().Replace(reader.Read(DoubleQuotedValue()), Unescape);
            case null or '\n' or '\r':
                return "";
            default:
                var part = reader.Read(UnquotedValue());
                return InlineComment().Replace(part, "").TrimEnd();
        }
    }

    private static string Unescape(Match escape) => escape.Value[1] switch
    {
        'a' => "\a",
        'b' => "\b",
        'f' => "\f",
        'n' => "\n",
        'r' => "\r",
        't' => "\t",
        'v' => "\v",
        var c => c.ToString(),
    };

    // The expressions of python-dotenv's parser, anchored at the reader's position with \G.
    [GeneratedRegex(@"\G\s*", RegexOptions.Multiline)]
    private static partial Regex MultilineWhitespace();

    [GeneratedRegex(@"\G[^\S\r\n]*")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\G(?:export[^\S\r\n]+)?")]
    private static partial Regex Export();

    [GeneratedRegex(@"\G'([^']+)'")]
    private static partial Regex SingleQuotedKey();

    [GeneratedRegex(@"\G([^=\#\s]+)")]
    private static partial Regex UnquotedKey();

    [GeneratedRegex(@"\G(=[^\S\r\n]*)")]
    private static partial Regex EqualSign();

    [GeneratedRegex(@"\G'((?:\\'|[^'])*)'")]
    private static partial Regex SingleQuotedValue();

    [GeneratedRegex(@"\G""((?:\\""|[^""])*)""")]
    private static partial Regex DoubleQuotedValue();

    [GeneratedRegex(@"\G([^\r\n]*)")]
    private static partial Regex UnquotedValue();

    [GeneratedRegex(@"\G(?:[^\S\r\n]*#[^\r\n]*)?")]
    private static partial Regex Comment();

    [GeneratedRegex(@"\G[^\S\r\n]*(?:\r\n|\n|\r|$)")]
    private static partial Regex EndOfLine();

    [GeneratedRegex(@"\G[^\r\n]*(?:\r\n|\r|\n)?")]
    private static partial Regex RestOfLine();

    [GeneratedRegex(@"\s+#.*")]
    private static partial Regex InlineComment();

    [GeneratedRegex(@"\\[\\'""abfnrtv]")]
    private static partial Regex DoubleQuoteEscapes();

    [GeneratedRegex(@"\\[\\']")]
    private static partial Regex SingleQuoteEscapes();

    [GeneratedRegex(@"\$\{(?<name>[^\}:]*)(?::-(?<default>[^\}]*))?\}")]
    private static partial Regex PosixVariable();

    private sealed class Reader(string text)
    {
        public int Position { get; private set; }

        public int Line { get; private set; } = 1;

        public bool HasNext => Position < text.Length;

        public char? Peek => Position < text.Length ? text[Position] : null;

        /// <summary>Matches at the position and advances; returns the first group (or the whole match).</summary>
        public string Read(Regex expression)
        {
            var match = expression.Match(text, Position);
            if (!match.Success || match.Index != Position)
            {
                throw new FormatException("no match");
            }
            Line += CountLines(text.AsSpan(Position, match.Length));
            Position += match.Length;
            return match.Groups.Count > 1 ? match.Groups[1].Value : match.Value;
        }

        private static int CountLines(ReadOnlySpan<char> span)
        {
            var lines = 0;
            for (var i = 0; i < span.Length; i++)
            {
                if (span[i] == '\n' || (span[i] == '\r' && (i + 1 == span.Length || span[i + 1] != '\n')))
                {
                    lines++;
                }
            }
            return lines;
        }
    }
}
