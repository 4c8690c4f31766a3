namespace RosaOS.Vision;

/// <summary>
/// A vision request that cannot be served as asked (a refused image argument, no face to save, no vision model
/// configured). The message is written for the model or the user and says what to do instead.
/// </summary>
public sealed class VisionException : Exception
{
    public VisionException()
    {
    }

    public VisionException(string message)
        : base(message)
    {
    }

    public VisionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
