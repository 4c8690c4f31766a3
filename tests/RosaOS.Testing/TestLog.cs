namespace RosaOS.Testing;

/// <summary>Writes to the current test's output when there is one; never throws after the test ended.</summary>
public static class TestLog
{
    /// <summary>Writes one line.</summary>
    public static void Write(string line)
    {
        try
        {
            TestContext.Current.TestOutputHelper?.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test that owned this output has finished; the line still exists in the process capture.
        }
    }
}
