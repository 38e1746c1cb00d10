using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GridExchange.Hub.Services;

/// <summary>
/// Gives the bare UNIMPLEMENTED of a not-yet-built RPC the same machine-readable shape as every
/// other error (ErrorInfo reason NOT_YET_AVAILABLE), so clients can tell "not in this release"
/// from "wrong endpoint".
/// </summary>
internal sealed class NotYetAvailableInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException e) when (IsBare(e))
        {
            throw Enrich(context);
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
        catch (RpcException e) when (IsBare(e))
        {
            throw Enrich(context);
        }
    }

    private static bool IsBare(RpcException e) =>
        e.StatusCode == StatusCode.Unimplemented && e.GetRpcStatus() is null;

    private static RpcException Enrich(ServerCallContext context) => RpcErrors.NotYetAvailable(context.Method);
}
