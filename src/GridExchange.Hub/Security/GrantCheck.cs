using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Feed;
using GridExchange.Hub.Services;
using GridExchange.V1;

namespace GridExchange.Hub.Security;

/// <summary>
/// Re-checks a streaming call's grant while it runs: before each page or chunk the stream
/// sends, at most once a second, the caller's token is authenticated again and its scope
/// re-derived from its current registration. A token revoked or a peer disabled ends the stream
/// with UNAUTHENTICATED; a role the method needs taken away (UpdatePeer) ends it with
/// PERMISSION_DENIED, ROLE_NOT_GRANTED; a grant narrowed below the stream's scope ends it with
/// PERMISSION_DENIED, OUT_OF_JURISDICTION — a subscription opened under a wider grant never
/// keeps serving it.
/// </summary>
internal sealed class GrantCheck(PeerAuthenticator authenticator, ServerCallContext context, ChangeScope? requested, FeedScope granted, TimeProvider clock)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private long _checkedAt = clock.GetTimestamp();

    /// <summary>Throws when the stream's grant no longer holds; otherwise returns at once.</summary>
    public async ValueTask EnsureAsync()
    {
        if (clock.GetElapsedTime(_checkedAt) < Interval)
        {
            return;
        }

        var caller = await authenticator.AuthenticateAsync(context);
        if (MethodPolicy.TryGetRoles(context.Method, out var roles) && roles.Count > 0 && !roles.Any(caller.Has))
        {
            throw RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.RoleNotGranted,
                $"Peer '{caller.PeerId}' no longer holds the role {context.Method} needs; the stream ends.");
        }

        FeedScope now;
        try
        {
            now = FeedRequests.Scope(requested, "scope", caller);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied)
        {
            throw Narrowed(caller.PeerId);
        }

        if (!now.Prefixes.SequenceEqual(granted.Prefixes, StringComparer.Ordinal) || !now.Types.ToHashSet().SetEquals(granted.Types))
        {
            throw Narrowed(caller.PeerId);
        }

        _checkedAt = clock.GetTimestamp();
    }

    private static RpcException Narrowed(string peerId) =>
        RpcErrors.Status(StatusCode.PermissionDenied, ErrorReasons.OutOfJurisdiction,
            $"The grant of peer '{peerId}' changed while the stream was open and no longer covers its scope; reconnect with a scope it grants.");
}
