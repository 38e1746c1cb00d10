using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GridExchange.Domain.Errors;

namespace GridExchange.Hub.Services;

/// <summary>
/// Builds the errors clients can act on: a gRPC status with <c>google.rpc.Status</c> details
/// carrying an <see cref="ErrorInfo"/> reason (domain <c>gridexchange.v1</c>) and, for bad
/// input, a <see cref="BadRequest"/> field violation.
/// </summary>
internal static class RpcErrors
{
    /// <summary>INVALID_ARGUMENT for one bad field.</summary>
    public static RpcException InvalidArgument(string field, string reason, string message) =>
        Build(Code.InvalidArgument, reason, message, new Dictionary<string, string> { ["field"] = field },
            Any.Pack(new BadRequest
            {
                FieldViolations =
                {
                    new BadRequest.Types.FieldViolation { Field = field, Description = message, Reason = reason },
                },
            }));

    /// <summary>NOT_FOUND for an entity that does not exist (or is not visible to the caller).</summary>
    public static RpcException NotFound(string entity, string key) =>
        Build(Code.NotFound, ErrorReasons.NotFound, $"{entity} '{key}' was not found.",
            new Dictionary<string, string> { ["entity"] = entity, ["key"] = key });

    /// <summary>
    /// UNIMPLEMENTED with reason NOT_YET_AVAILABLE: the RPC, or the part of it the request asks
    /// for, is in the v1 contract but not served by this hub release.
    /// </summary>
    /// <param name="method">The full gRPC method name, e.g. <c>/gridexchange.v1.PopulationService/ListPersons</c>.</param>
    /// <param name="message">What is not served, for people; defaults to the whole method.</param>
    /// <param name="field">The request field that asked for the unserved part, if any.</param>
    public static RpcException NotYetAvailable(string method, string? message = null, string? field = null)
    {
        var metadata = new Dictionary<string, string> { ["method"] = method };
        if (field is not null)
        {
            metadata["field"] = field;
        }

        return Build(Code.Unimplemented, ErrorReasons.NotYetAvailable,
            message ?? $"{method} is part of the v1 contract but not served by this hub release yet.", metadata);
    }

    /// <summary>Throws INVALID_ARGUMENT when <paramref name="check"/> failed.</summary>
    public static void ThrowIfInvalid(CodeCheck check, string field)
    {
        if (!check.IsValid)
        {
            throw InvalidArgument(field, check.Reason ?? ErrorReasons.InvalidFormat, $"{field}: {check.Message}");
        }
    }

    /// <summary>Any status with an ErrorInfo reason and optional metadata.</summary>
    public static RpcException Status(StatusCode code, string reason, string message, IDictionary<string, string>? metadata = null) =>
        Build((Code)(int)code, reason, message, metadata ?? new Dictionary<string, string>());

    /// <summary>UNAVAILABLE with a reason and a RetryInfo: a transient condition the client retries after the delay.</summary>
    public static RpcException Unavailable(string reason, string message, TimeSpan retryAfter) =>
        Build(Code.Unavailable, reason, message, new Dictionary<string, string>(),
            Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }));

    /// <summary>FAILED_PRECONDITION, reason RESYNC_REQUIRED: the client must re-snapshot.</summary>
    public static RpcException ResyncRequired(string message) =>
        Build(Code.FailedPrecondition, ErrorReasons.ResyncRequired, message, new Dictionary<string, string>());

    private static RpcException Build(Code code, string reason, string message, IDictionary<string, string> metadata, params Any[] extra)
    {
        var info = new ErrorInfo { Reason = reason, Domain = ErrorReasons.Domain };
        info.Metadata.Add(metadata);
        var status = new Google.Rpc.Status { Code = (int)code, Message = message, Details = { Any.Pack(info) } };
        status.Details.Add(extra);
        return status.ToRpcException();
    }
}
