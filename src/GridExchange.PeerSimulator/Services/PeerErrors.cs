using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Domain.Errors;

namespace GridExchange.PeerSimulator.Services;

/// <summary>
/// Errors in the hub's model (protos/README.md): a gRPC status whose <c>google.rpc.Status</c>
/// details carry an <see cref="ErrorInfo"/> reason in domain <c>gridexchange.v1</c> and, for
/// throttling, a <see cref="RetryInfo"/>; sent in the <c>grpc-status-details-bin</c> trailer.
/// </summary>
internal static class PeerErrors
{
    /// <summary>UNAUTHENTICATED: no bearer token, or not the one this peer expects.</summary>
    public static RpcException Unauthenticated() =>
        Build(Code.Unauthenticated, ErrorReasons.Unauthenticated, "The call carries no valid bearer token for this peer.");

    /// <summary>PERMISSION_DENIED, ROLE_NOT_GRANTED: the caller may not do this here.</summary>
    public static RpcException PermissionDenied(string message) =>
        Build(Code.PermissionDenied, ErrorReasons.RoleNotGranted, message);

    /// <summary>FAILED_PRECONDITION, RESYNC_REQUIRED: the checkpoint is unknown or expired; start over with an empty one.</summary>
    public static RpcException ResyncRequired(string message) =>
        Build(Code.FailedPrecondition, ErrorReasons.ResyncRequired, message);

    /// <summary>INVALID_ARGUMENT with a BadRequest field violation.</summary>
    public static RpcException InvalidArgument(string field, string reason, string message) =>
        Build(Code.InvalidArgument, reason, message, Any.Pack(new BadRequest
        {
            FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Reason = reason, Description = message } },
        }));

    /// <summary>UNIMPLEMENTED: the RPC belongs to a role this peer does not hold.</summary>
    public static RpcException NotServed(string method, string role) =>
        Build(Code.Unimplemented, ErrorReasons.NotYetAvailable, $"{method} is not served by a {role} peer.");

    /// <summary>Plain UNAVAILABLE, as a dropped connection or an overloaded proxy would answer: no details.</summary>
    public static RpcException Dropped() => new(new Grpc.Core.Status(StatusCode.Unavailable, "Injected fault: call dropped."));

    /// <summary>UNAVAILABLE (SERVICE_UNAVAILABLE) or RESOURCE_EXHAUSTED (RATE_LIMITED) with a RetryInfo of <paramref name="retryAfter"/>.</summary>
    public static RpcException Throttled(bool resourceExhausted, TimeSpan retryAfter) =>
        resourceExhausted
            ? Build(Code.ResourceExhausted, ErrorReasons.RateLimited, "Injected fault: rate limited.", Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }))
            : Build(Code.Unavailable, ErrorReasons.ServiceUnavailable, "Injected fault: temporarily unavailable.", Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }));

    private static RpcException Build(Code code, string reason, string message, params Any[] extra)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)code,
            Message = message,
            Details = { Any.Pack(new ErrorInfo { Reason = reason, Domain = ErrorReasons.Domain }) },
        };
        status.Details.Add(extra);
        return status.ToRpcException();
    }
}
