using System.Net.Http;
using System.Text;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Sync;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace GridExchange.Hub.Sync;

/// <summary>
/// Reads what a failed call to a peer says: whether it is transient (<see cref="SyncFaults"/>),
/// the RetryInfo delay and ErrorInfo reason of its <c>google.rpc.Status</c> (the
/// <c>grpc-status-details-bin</c> trailer), and a one-line text for operators.
/// </summary>
internal static class RpcFailures
{
    /// <summary>Whether the pipeline retries after <paramref name="exception"/> (and the breaker counts it).</summary>
    public static bool IsTransient(Exception? exception) => exception switch
    {
        RpcException e => SyncFaults.IsTransient(e.StatusCode, IsTransportFailure(e)),
        // A per-attempt timeout (Polly's, or the idle wait on a stream) is DEADLINE_EXCEEDED of one attempt.
        TimeoutRejectedException => true,
        // The sink answered without a ReceiveStatus: "the hub treats the delivery as failed and retries it with back-off".
        UnusableAnswerException => true,
        // Open circuit, full queue: retrying inside the same call would defeat them; the next run tries again.
        BrokenCircuitException or RateLimiterRejectedException => false,
        _ => false,
    };

    /// <summary>
    /// Whether the client made the status up from a broken transport rather than receiving it:
    /// no status details, and an HTTP or I/O exception under it (a reset stream, a lost
    /// connection).
    /// </summary>
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

    /// <summary>The RetryInfo delay the peer sent with <paramref name="exception"/>, or null.</summary>
    public static TimeSpan? RetryInfoDelay(Exception? exception)
    {
        if (exception is not RpcException rpc)
        {
            return null;
        }

        try
        {
            var delay = rpc.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay;
            return delay is null ? null : delay.ToTimeSpan();
        }
        catch (Exception e) when (e is InvalidOperationException or Google.Protobuf.InvalidProtocolBufferException or ArgumentException)
        {
            // A malformed trailer is no reason to fail differently: back off as without one.
            return null;
        }
    }

    /// <summary>The ErrorInfo reason of <paramref name="exception"/>, or "".</summary>
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

    /// <summary>Whether the peer asked the hub to start over (FAILED_PRECONDITION, RESYNC_REQUIRED).</summary>
    public static bool IsResyncRequired(Exception exception) =>
        exception is RpcException { StatusCode: StatusCode.FailedPrecondition } e && Reason(e) == ErrorReasons.ResyncRequired;

    /// <summary>
    /// The error for people, as PeerLinkStatus.last_error wants it: the gRPC status code name,
    /// the reason when there is one, and the message (e.g. <c>UNAVAILABLE: connection refused</c>,
    /// <c>PERMISSION_DENIED ROLE_NOT_GRANTED: …</c>); at most 500 characters.
    /// </summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var text = exception switch
        {
            RpcException e => $"{CodeName(e.StatusCode)}{(Reason(e) is { Length: > 0 } reason ? " " + reason : "")}: {e.Status.Detail}",
            TimeoutRejectedException => "DEADLINE_EXCEEDED: the peer did not answer within the configured timeout.",
            BrokenCircuitException => "UNAVAILABLE CIRCUIT_OPEN: calls to this peer are suspended by its circuit breaker after repeated failures.",
            RateLimiterRejectedException => "RESOURCE_EXHAUSTED: too many calls to this peer are already waiting (MaxQueuedCallsPerPeer).",
            UnusableAnswerException e => $"UNKNOWN: {e.Message}",
            _ => $"INTERNAL: {exception.GetType().Name}: {exception.Message}",
        };
        return text.Length <= 500 ? text : text[..500];
    }

    /// <summary>The canonical name of a status code (<c>PERMISSION_DENIED</c>).</summary>
    public static string CodeName(StatusCode code)
    {
        var name = code.ToString();
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(name[i]));
        }

        return builder.ToString();
    }
}

/// <summary>A peer answered in a way the contract does not allow (e.g. ReceiveChanges without a status); a failed delivery.</summary>
internal sealed class UnusableAnswerException(string message) : Exception(message);
