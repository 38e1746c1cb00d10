using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GridExchange.Hub.Security;

/// <summary>
/// Runs right after <see cref="AuthenticationInterceptor"/>: every call of an authenticated
/// peer takes a token from the peer's bucket, and every stream holds one of the peer's stream
/// slots while it is open (<see cref="PeerCallLimits"/>). One peer's flood therefore never
/// limits another peer. Health and reflection carry no caller and are not limited here.
/// </summary>
internal sealed class RateLimitInterceptor(PeerCallLimits limits) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (PeerOf(context) is { } peer)
        {
            limits.AdmitCall(peer);
        }

        return continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (PeerOf(context) is not { } peer)
        {
            await continuation(request, responseStream, context);
            return;
        }

        limits.AdmitCall(peer);
        using var slot = limits.OpenStream(peer);
        await continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (PeerOf(context) is { } peer)
        {
            limits.AdmitCall(peer);
        }

        return continuation(requestStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (PeerOf(context) is not { } peer)
        {
            await continuation(requestStream, responseStream, context);
            return;
        }

        limits.AdmitCall(peer);
        using var slot = limits.OpenStream(peer);
        await continuation(requestStream, responseStream, context);
    }

    // Protected methods always carry the caller AuthenticationInterceptor admitted (or never got
    // here); CallerAccess throws on a wiring bug rather than letting a call through unlimited.
    private static string? PeerOf(ServerCallContext context) =>
        MethodPolicy.IsProtected(context.Method) ? context.Caller().PeerId : null;
}
