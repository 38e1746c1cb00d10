using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GridExchange.PeerSimulator.Services;

/// <summary>
/// Accepts only calls carrying <c>authorization: Bearer {token}</c> with the token this peer was
/// configured with (the one the hub's peer registration holds for it); anything else is
/// UNAUTHENTICATED. Compared in constant time, as a real peer would.
/// </summary>
internal sealed class BearerTokenInterceptor(SimulatorOptions options) : Interceptor
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes("Bearer " + options.Token);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    /// <summary>Whether <paramref name="authorization"/> is the expected header value.</summary>
    public bool Accepts(string? authorization) =>
        authorization is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization), _expected);

    private void Check(ServerCallContext context)
    {
        if (!Accepts(context.RequestHeaders.GetValue("authorization")))
        {
            throw PeerErrors.Unauthenticated();
        }
    }
}
