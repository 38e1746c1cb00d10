using System.Net.Http;
using Google.Rpc;
using Grpc.Core;

namespace GridExchange.Client;

/// <summary>
/// Reads the hub's rich errors (<c>google.rpc.Status</c> in the <c>grpc-status-details-bin</c>
/// trailer: <c>ErrorInfo</c>, <c>RetryInfo</c>) and classifies them the way
/// <c>protos/README.md</c> ("Retrying") says a client should.
/// </summary>
public static class GridExchangeErrors
{
    /// <summary>The <c>ErrorInfo.domain</c> of every error the hub raises.</summary>
    public const string Domain = "gridexchange.v1";

    /// <summary>The reason of FAILED_PRECONDITION that means "re-snapshot; do not retry".</summary>
    public const string ResyncRequired = "RESYNC_REQUIRED";

    /// <summary>The reason of ABORTED that means "re-read and decide again" (resending as is fails again).</summary>
    public const string VersionConflict = "VERSION_CONFLICT";

    /// <summary>
    /// The <c>ErrorInfo.reason</c> of <paramref name="exception"/> (an <c>ErrorReason</c> name
    /// without the <c>ERROR_REASON_</c> prefix, e.g. <c>RATE_LIMITED</c>), or an empty string when
    /// it carries none (errors of the gRPC stack itself, INTERNAL, UNKNOWN) or the trailer is malformed.
    /// </summary>
    /// <param name="exception">The failed call.</param>
    /// <returns>The reason, or "".</returns>
    public static string Reason(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        try
        {
            return exception.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason ?? "";
        }
        catch (Exception e) when (e is InvalidOperationException or Google.Protobuf.InvalidProtocolBufferException or ArgumentException)
        {
            return "";
        }
    }

    /// <summary>
    /// The <c>RetryInfo.retry_delay</c> the hub sent with <paramref name="exception"/> (the least
    /// time to wait before retrying), or null when it sent none or the trailer is malformed.
    /// </summary>
    /// <param name="exception">The failed call.</param>
    /// <returns>The delay, or null.</returns>
    public static TimeSpan? RetryDelay(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        try
        {
            var delay = exception.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay;
            return delay is null ? null : delay.ToTimeSpan() is var value && value >= TimeSpan.Zero ? value : null;
        }
        catch (Exception e) when (e is InvalidOperationException or Google.Protobuf.InvalidProtocolBufferException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="exception"/> is FAILED_PRECONDITION with reason <c>RESYNC_REQUIRED</c>.</summary>
    /// <param name="exception">The failed call.</param>
    /// <returns>True when the cursor or snapshot token can no longer be served: re-snapshot.</returns>
    public static bool IsResyncRequired(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.StatusCode == StatusCode.FailedPrecondition && Reason(exception) == ResyncRequired;
    }

    /// <summary>
    /// Whether the client made <paramref name="exception"/> up from a broken transport (a reset
    /// stream, a lost connection: an HTTP, I/O or socket exception under it and no status details
    /// from the hub) rather than receiving it from the hub.
    /// </summary>
    /// <param name="exception">The failed call.</param>
    /// <returns>True for a transport failure.</returns>
    public static bool IsTransportFailure(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.Trailers.Get("grpc-status-details-bin") is not null)
        {
            return false;
        }

        for (var inner = exception.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException or HttpIOException or HttpProtocolException or IOException or System.Net.Sockets.SocketException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Classifies a failed call: whether repeating the same request may succeed, as
    /// <c>protos/README.md</c> ("Retrying") prescribes.
    /// </summary>
    /// <param name="exception">The failed call.</param>
    /// <param name="deadlineRetryable">
    /// Whether DEADLINE_EXCEEDED may be retried: the call is safe to repeat (a read, or a mutating
    /// call resent with the same <c>request_id</c>) and the deadline that expired was one attempt's,
    /// not the caller's own overall deadline.
    /// </param>
    /// <returns>The decision.</returns>
    /// <remarks>
    /// <list type="bullet">
    /// <item>UNAVAILABLE: retry (with back-off, at least <c>RetryInfo.retry_delay</c> when present).</item>
    /// <item>RESOURCE_EXHAUSTED: retry only with a <c>RetryInfo</c>; without one (a transport size limit) the same request fails again.</item>
    /// <item>ABORTED: retry, except with reason <c>VERSION_CONFLICT</c> (re-read and decide again instead).</item>
    /// <item>DEADLINE_EXCEEDED: retry only when <paramref name="deadlineRetryable"/>.</item>
    /// <item>INTERNAL, UNKNOWN, CANCELLED: retry only when the client synthesised them from a broken transport (<see cref="IsTransportFailure"/>).</item>
    /// <item>Never: INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, FAILED_PRECONDITION (including <c>RESYNC_REQUIRED</c>), NOT_FOUND, ALREADY_EXISTS, UNIMPLEMENTED, OUT_OF_RANGE, DATA_LOSS, OK.</item>
    /// </list>
    /// </remarks>
    public static RetryClassification Classify(RpcException exception, bool deadlineRetryable)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.StatusCode switch
        {
            StatusCode.Unavailable => RetryClassification.Transient,
            StatusCode.ResourceExhausted => RetryDelay(exception) is null ? RetryClassification.Permanent : RetryClassification.Transient,
            StatusCode.Aborted => Reason(exception) == VersionConflict ? RetryClassification.Permanent : RetryClassification.Transient,
            StatusCode.DeadlineExceeded => deadlineRetryable ? RetryClassification.Transient : RetryClassification.Permanent,
            StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled =>
                IsTransportFailure(exception) ? RetryClassification.Transient : RetryClassification.Permanent,
            StatusCode.FailedPrecondition when IsResyncRequired(exception) => RetryClassification.ResyncRequired,
            _ => RetryClassification.Permanent,
        };
    }
}

/// <summary>What a client should do after a failed call (<see cref="GridExchangeErrors.Classify"/>).</summary>
public enum RetryClassification
{
    /// <summary>Do not repeat the call unchanged: fix the request, the credential or the state.</summary>
    Permanent = 0,

    /// <summary>The condition can clear by itself: repeat the same request after a back-off (at least the hub's <c>RetryInfo</c>).</summary>
    Transient = 1,

    /// <summary>FAILED_PRECONDITION, <c>RESYNC_REQUIRED</c>: never retry; load a new snapshot and continue from its end cursor.</summary>
    ResyncRequired = 2,
}
