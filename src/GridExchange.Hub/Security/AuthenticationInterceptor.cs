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
/// Health and reflection are open (they carry no data). A call of an admitted peer that
/// completes with status OK — a stream when it ends without error — is noted in
/// <see cref="PeerActivity"/> (<c>PeerStatus.last_call_at</c>).
/// </summary>
internal sealed class AuthenticationInterceptor(PeerAuthenticator authenticator, PeerActivity activity) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var caller = await AdmitAsync(context);
        var response = await continuation(request, context);
        Completed(caller, context);
        return response;
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var caller = await AdmitAsync(context);
        await continuation(request, responseStream, context);
        Completed(caller, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var caller = await AdmitAsync(context);
        var response = await continuation(requestStream, context);
        Completed(caller, context);
        return response;
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var caller = await AdmitAsync(context);
        await continuation(requestStream, responseStream, context);
        Completed(caller, context);
    }

    // The handler returned (a failure throws, and skips this) without setting an error status.
    private void Completed(Caller? caller, ServerCallContext context)
    {
        if (caller is not null && context.Status.StatusCode == StatusCode.OK)
        {
            activity.Record(caller.PeerId);
        }
    }

    // The admitted caller; null for an open method.
    private async ValueTask<Caller?> AdmitAsync(ServerCallContext context)
    {
        if (!MethodPolicy.IsProtected(context.Method))
        {
            return null;
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
        return caller;
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
