namespace RosaOS.RosBridge;

/// <summary>Base of every rosbridge failure.</summary>
public class RosBridgeException : Exception
{
    public RosBridgeException() { }
    public RosBridgeException(string message) : base(message) { }
    public RosBridgeException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The robot did not answer in time (it may still be working on it).</summary>
public sealed class RosBridgeTimeoutException : RosBridgeException
{
    public RosBridgeTimeoutException() { }
    public RosBridgeTimeoutException(string message) : base(message) { }
    public RosBridgeTimeoutException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The robot answered, and the answer is a failure (rosbridge <c>result:false</c>).</summary>
public sealed class RosServiceFailedException : RosBridgeException
{
    public RosServiceFailedException() { }
    public RosServiceFailedException(string message) : base(message) { }
    public RosServiceFailedException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The WebSocket to rosbridge is down (the call was not, or may not have been, delivered).</summary>
public sealed class RosBridgeConnectionException : RosBridgeException
{
    public RosBridgeConnectionException() { }
    public RosBridgeConnectionException(string message) : base(message) { }
    public RosBridgeConnectionException(string message, Exception inner) : base(message, inner) { }
}
