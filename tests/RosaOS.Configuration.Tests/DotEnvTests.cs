using RosaOS.Configuration;
using RosaOS.Testing;

namespace RosaOS.Configuration.Tests;

/// <summary>.env files mean what python-dotenv makes of them, and the real environment always wins.</summary>
public sealed class DotEnvTests
{
    private static Dictionary<string, string?> Values(string text, Func<string, string?>? environment = null)
    {
        var (bindings, _) = DotEnv.Parse(text);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in DotEnv.Resolve(bindings, environment ?? (_ => null)))
        {
            values[key] = value;
        }
        return values;
    }

    [Fact]
    public void Quotes_export_comments_and_spaces_follow_python_dotenv()
    {
        var values = Values("""
            # a comment line
            PLAIN=value
            SPACED = spaced value   # trailing comment
            export EXPORTED=yes
            HASH=a#b
            SINGLE='single # kept'
            DOUBLE="double # kept"
            'QUOTED_KEY'=k
            EMPTY=
            BARE
            """);
        Assert.Equal("value", values["PLAIN"]);
        Assert.Equal("spaced value", values["SPACED"]);
        Assert.Equal("yes", values["EXPORTED"]);
        Assert.Equal("a#b", values["HASH"]);
        Assert.Equal("single # kept", values["SINGLE"]);
        Assert.Equal("double # kept", values["DOUBLE"]);
        Assert.Equal("k", values["QUOTED_KEY"]);
        Assert.Equal("", values["EMPTY"]);
        Assert.True(values.ContainsKey("BARE"));
        Assert.Null(values["BARE"]);
        Assert.DoesNotContain("export EXPORTED", values.Keys);
    }

    [Fact]
    public void Escapes_are_decoded_per_quote_style_and_quoted_values_span_lines()
    {
        var values = Values("""
            D="tab\tnew\nline \"q\" back\\slash \'s\'"
            S='no \n escape, but \' and \\'
            U=raw\nvalue
            M="first line
            second line"
            """);
        Assert.Equal("tab\tnew\nline \"q\" back\\slash 's'", values["D"]);
        Assert.Equal("no \\n escape, but ' and \\", values["S"]);
        Assert.Equal("raw\\nvalue", values["U"]);
        Assert.Equal("first line\nsecond line", values["M"]);
    }

    [Fact]
    public void Variables_expand_from_the_environment_first_then_the_file_then_the_default()
    {
        var environment = new Dictionary<string, string> { ["HOST"] = "from-env" };
        var values = Values("""
            HOST=from-file
            PORT=6000
            URL=http://${HOST}:${PORT}/v1
            MISSING=${NOPE:-fallback}/${NOPE}
            LATER=${DEFINED_BELOW}
            DEFINED_BELOW=x
            """, name => environment.GetValueOrDefault(name));
        Assert.Equal("http://from-env:6000/v1", values["URL"]);
        Assert.Equal("fallback/", values["MISSING"]);
        Assert.Equal("", values["LATER"]);
    }

    [Fact]
    public void A_line_that_does_not_parse_is_skipped_with_its_number_and_the_rest_still_loads()
    {
        var (bindings, bad) = DotEnv.Parse("GOOD=1\nBROKEN=\"never closed\nALSO_GOOD=2\n");
        // The unterminated quote swallows nothing: its line is skipped and parsing resumes on the next one.
        Assert.Equal([2], bad);
        Assert.Equal(["GOOD", "ALSO_GOOD"], bindings.Select(b => b.Key));
        Assert.Equal([1, 3], bindings.Select(b => b.Line));
    }

    [Fact]
    public void The_working_directory_file_wins_over_the_repository_root_file()
    {
        var cwd = TestPaths.NewTempDirectory("cwd");
        var repo = TestPaths.NewTempDirectory("repo");
        Assert.Null(DotEnv.Find(cwd, repo));
        File.WriteAllText(Path.Combine(repo, ".env"), "A=repo\n");
        Assert.Equal(Path.Combine(repo, ".env"), DotEnv.Find(cwd, repo));
        File.WriteAllText(Path.Combine(cwd, ".env"), "A=cwd\n");
        Assert.Equal(Path.Combine(cwd, ".env"), DotEnv.Find(cwd, repo));
    }

    [Fact]
    public void Loading_fills_only_what_the_real_environment_does_not_set_and_reports_names_only()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        string Name(string n) => $"ROSA_DOTENV_{n}_{suffix}";
        var cwd = TestPaths.NewTempDirectory("cwd");
        var repo = TestPaths.NewTempDirectory("repo");
        File.WriteAllText(Path.Combine(repo, ".env"), $"{Name("FROM_REPO")}=repo\n");
        File.WriteAllText(Path.Combine(cwd, ".env"), $$"""
            {{Name("NEW")}}=secret-value
            {{Name("SET")}}=from-file
            {{Name("EXPANDED")}}=${{{Name("SET")}}}!
            """);
        Environment.SetEnvironmentVariable(Name("SET"), "from-environment");
        try
        {
            var result = DotEnv.LoadIntoEnvironment(cwd, repo);
            Assert.NotNull(result);
            Assert.Equal(Path.Combine(cwd, ".env"), result.Path);
            Assert.Equal([Name("NEW"), Name("EXPANDED")], result.Taken);
            Assert.Equal([Name("SET")], result.AlreadySet);
            Assert.Equal("secret-value", Environment.GetEnvironmentVariable(Name("NEW")));
            Assert.Equal("from-environment", Environment.GetEnvironmentVariable(Name("SET")));
            Assert.Equal("from-environment!", Environment.GetEnvironmentVariable(Name("EXPANDED")));
            // Only one file is read: the repository root's is not merged in when the working directory has one.
            Assert.Null(Environment.GetEnvironmentVariable(Name("FROM_REPO")));
            Assert.DoesNotContain("secret-value", result.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var n in new[] { "NEW", "SET", "EXPANDED", "FROM_REPO" })
            {
                Environment.SetEnvironmentVariable(Name(n), null);
            }
        }
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("Yes", true)]
    [InlineData("0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void PYTHON_DOTENV_DISABLED_takes_python_dotenvs_truthy_values(string? value, bool disabled)
        => Assert.Equal(disabled, DotEnv.IsDisabled(value));
}
