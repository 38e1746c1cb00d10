using Grpc.Core;
using Grpc.Core.Interceptors;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Security;
using GridExchange.Hub.Services;
using GridExchange.V1;

namespace GridExchange.Hub.Security;

/// <summary>
/// Runs first on every call to the contract's services: authenticates the caller
/// (<see cref="PeerAuthenticator"/>), checks the method's roles (<see cref="MethodPolicy"/>)
/// and leaves the <see cref="Caller"/> for the service (<see cref="CallerAccess.Caller"/>).
/// Health and reflection are open (they carry no data).
/// </summary>
internal sealed class AuthenticationInterceptor(PeerAuthenticator authenticator) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AdmitAsync(context);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AdmitAsync(context);
        await continuation(request, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AdmitAsync(context);
        return await continuation(requestStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AdmitAsync(context);
        await continuation(requestStream, responseStream, context);
    }

    private async ValueTask AdmitAsync(ServerCallContext context)
    {
        if (!MethodPolicy.IsProtected(context.Method))
        {
            return;
        }

        var caller = await authenticator.AuthenticateAsync(context);
        if (!MethodPolicy.TryGetRoles(context.Method, out var roles))
        {
            throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.RoleNotGranted,
                $"{context.Method} is not open to any role.");
        }

        if (roles.Count > 0 && !roles.Any(caller.Has))
        {
            throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.RoleNotGranted,
                $"{context.Method} needs role {string.Join(" or ", roles.Select(RoleName))}; peer '{caller.PeerId}' does not hold it.");
        }

        context.GetHttpContext().Items[typeof(Caller)] = caller;
    }

    private static string RoleName(PeerRole role) => role.ToString().ToUpperInvariant();
}

/// <summary>The authenticated caller of the current call.</summary>
internal static class CallerAccess
{
    /// <summary>The caller <see cref="AuthenticationInterceptor"/> admitted.</summary>
    /// <exception cref="InvalidOperationException">The call did not pass the interceptor (a wiring bug).</exception>
    public static Caller Caller(this ServerCallContext context) =>
        context.GetHttpContext().Items[typeof(Caller)] as Caller
        ?? throw new InvalidOperationException("The call was not authenticated: AuthenticationInterceptor is not registered.");
}
