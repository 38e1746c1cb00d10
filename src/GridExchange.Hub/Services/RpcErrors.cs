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

    /// <summary>Throws INVALID_ARGUMENT when <paramref name="check"/> failed.</summary>
    public static void ThrowIfInvalid(CodeCheck check, string field)
    {
        if (!check.IsValid)
        {
            throw InvalidArgument(field, check.Reason ?? ErrorReasons.InvalidFormat, $"{field}: {check.Message}");
        }
    }

    private static RpcException Build(Code code, string reason, string message, IDictionary<string, string> metadata, params Any[] extra)
    {
        var info = new ErrorInfo { Reason = reason, Domain = ErrorReasons.Domain };
        info.Metadata.Add(metadata);
        var status = new Google.Rpc.Status { Code = (int)code, Message = message, Details = { Any.Pack(info) } };
        status.Details.Add(extra);
        return status.ToRpcException();
    }
}
