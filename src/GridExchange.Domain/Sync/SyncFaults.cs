using Grpc.Core;

namespace GridExchange.Domain.Sync;

/// <summary>
/// Which failures of a call to a peer are worth retrying (DESIGN §3.10, §4). Explicit, so a
/// peer's "no" is never hammered: only conditions that can clear by themselves are retried.
/// </summary>
public static class SyncFaults
{
    /// <summary>
    /// Whether a failed call with <paramref name="code"/> may succeed if repeated.
    /// </summary>
    /// <param name="code">The call's status.</param>
    /// <param name="transportFailure">
    /// The status was made up by the client from a broken transport (a reset stream, a dropped
    /// connection: an HTTP or socket exception under it, no status details from the peer).
    /// </param>
    /// <remarks>
    /// Retried: UNAVAILABLE (the contract's "transient trouble"), DEADLINE_EXCEEDED (one attempt
    /// ran out of time; the next gets its own), RESOURCE_EXHAUSTED (throttling; its RetryInfo is
    /// honoured), ABORTED (a conflict the peer resolves by itself). INTERNAL, CANCELLED and
    /// UNKNOWN are retried only when the client synthesised them from a broken transport:
    /// grpc-dotnet reports an HTTP/2 stream reset mid-stream that way, and resuming from the last
    /// committed checkpoint is exactly what the contract asks for; the same codes sent by the peer
    /// itself are a bug or a decision there that repeating will not change. Never retried:
    /// INVALID_ARGUMENT, FAILED_PRECONDITION (RESYNC_REQUIRED is handled by starting over, not by
    /// repeating), PERMISSION_DENIED, UNAUTHENTICATED, NOT_FOUND, UNIMPLEMENTED, ALREADY_EXISTS,
    /// OUT_OF_RANGE, DATA_LOSS.
    /// </remarks>
    public static bool IsTransient(StatusCode code, bool transportFailure) => code switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted => true,
        StatusCode.Internal or StatusCode.Cancelled or StatusCode.Unknown => transportFailure,
        _ => false,
    };

    /// <summary>
    /// The wait before the next attempt: the peer's RetryInfo when it sent one (capped at
    /// <paramref name="cap"/>, so a broken peer cannot park the link for a day), else null for
    /// the pipeline's own exponential back-off with jitter.
    /// </summary>
    public static TimeSpan? RetryDelay(TimeSpan? retryInfo, TimeSpan cap) =>
        retryInfo is { } asked && asked >= TimeSpan.Zero ? (asked > cap ? cap : asked) : null;
}
