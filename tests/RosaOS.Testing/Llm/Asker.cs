namespace RosaOS.Testing.Llm;

/// <summary>Who is asking the scripted LLM: the kernel or a worker, and about what.</summary>
public static class Asker
{
    public static bool IsKernel(RecordedRequest r) => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal);

    public static bool IsWorker(RecordedRequest r) => r.SystemPrompt.Contains("You are a process", StringComparison.Ordinal);

    /// <summary>The kernel's first request for an event whose text starts with <paramref name="text"/>.</summary>
    public static Func<RecordedRequest, bool> KernelOn(string text)
        => r => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "user" && r.LastUserText.StartsWith(text, StringComparison.Ordinal);

    /// <summary>The kernel's follow-up request after a tool result.</summary>
    public static bool KernelAfterTool(RecordedRequest r) => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "tool";

    /// <summary>A worker whose task contains <paramref name="text"/>.</summary>
    public static Func<RecordedRequest, bool> WorkerOn(string text) => r => IsWorker(r) && r.SystemPrompt.Contains(text, StringComparison.Ordinal);
}
