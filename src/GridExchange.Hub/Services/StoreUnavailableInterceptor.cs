using System.Data.Common;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using GridExchange.Domain.Errors;

namespace GridExchange.Hub.Services;

/// <summary>
/// A database that is down, failing over or busy past its timeout is a transient condition:
/// clients get UNAVAILABLE with reason SERVICE_UNAVAILABLE and a RetryInfo, which the retry
/// rules of protos/README.md retry, instead of an opaque UNKNOWN they must not retry.
/// </summary>
internal sealed partial class StoreUnavailableInterceptor(ILogger<StoreUnavailableInterceptor> logger) : Interceptor
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (IsStoreFailure(e, context))
        {
            throw Unavailable(context, e);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (IsStoreFailure(e, context))
        {
            throw Unavailable(context, e);
        }
    }

    // Only conditions that go away by themselves are UNAVAILABLE: a data exception (SQLSTATE
    // class 22), an integrity violation (23) or a bad statement (42) is a bug or bad input that
    // a retry repeats, so it stays an internal error instead of inviting endless retries.
    private static bool IsStoreFailure(Exception e, ServerCallContext context) =>
        !context.CancellationToken.IsCancellationRequested
        && (e is TimeoutException || (e is DbException db && IsTransient(db.SqlState)));

    /// <summary>False for SQLSTATE classes 22, 23 and 42; true otherwise (also when the provider gives none).</summary>
    internal static bool IsTransient(string? sqlState) =>
        sqlState is not { Length: 5 }
        || !(sqlState.StartsWith("22", StringComparison.Ordinal)
            || sqlState.StartsWith("23", StringComparison.Ordinal)
            || sqlState.StartsWith("42", StringComparison.Ordinal));

    private RpcException Unavailable(ServerCallContext context, Exception e)
    {
        LogStoreFailure(context.Method, e);
        var info = new ErrorInfo { Reason = ErrorReasons.ServiceUnavailable, Domain = ErrorReasons.Domain };
        info.Metadata.Add("method", context.Method);
        return new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = "The hub's store is temporarily unavailable; retry after the delay in RetryInfo.",
            Details = { Any.Pack(info), Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(RetryAfter) }) },
        }.ToRpcException();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store unavailable during {Method}")]
    private partial void LogStoreFailure(string method, Exception exception);
}
