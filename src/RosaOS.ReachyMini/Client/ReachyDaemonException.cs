namespace RosaOS.ReachyMini.Client;

/// <summary>Why a call to the daemon failed.</summary>
public enum DaemonFailure
{
    /// <summary>Nothing answered at the daemon's address (not started, restarting, wrong URL).</summary>
    Unreachable,

    /// <summary>The daemon did not answer within the call's timeout.</summary>
    Timeout,

    /// <summary>The daemon answered with an error status (see <see cref="ReachyDaemonException.StatusCode"/>).</summary>
    HttpStatus,

    /// <summary>The daemon answered with a body this client cannot read.</summary>
    InvalidResponse,
}

/// <summary>A daemon call that failed: which call (<see cref="Call"/>, e.g. "POST /api/move/goto") and why.</summary>
public sealed class ReachyDaemonException : Exception
{
    public ReachyDaemonException()
    {
        Call = "";
    }

    public ReachyDaemonException(string message) : base(message)
    {
        Call = "";
    }

    public ReachyDaemonException(string message, Exception innerException) : base(message, innerException)
    {
        Call = "";
    }

    /// <summary>Creates the exception for one failed call.</summary>
    public ReachyDaemonException(string call, DaemonFailure failure, string reason, int? statusCode = null, Exception? innerException = null)
        : base($"{call} failed: {reason}", innerException)
    {
        Call = call;
        Failure = failure;
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>Method and path of the failed call.</summary>
    public string Call { get; }

    /// <summary>The kind of failure.</summary>
    public DaemonFailure Failure { get; }

    /// <summary>HTTP status when the daemon answered with an error.</summary>
    public int? StatusCode { get; }

    /// <summary>The reason alone, without the call (the daemon's "detail" when it gave one).</summary>
    public string Reason { get; } = "";
}
