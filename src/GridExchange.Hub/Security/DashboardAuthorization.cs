using System.Buffers.Text;
using System.Text;
using Grpc.Core;
using GridExchange.V1;
using Hangfire.Dashboard;
using Microsoft.Net.Http.Headers;

namespace GridExchange.Hub.Security;

/// <summary>
/// Admits to the Hangfire dashboard only a caller presenting the bearer token of an enabled
/// peer holding ADMIN (the operator, <c>hub-admin</c>): <c>Authorization: Bearer gx1_…</c>, or
/// HTTP Basic with any user name and the token as password, so that a browser can log in.
/// Anyone else gets 401 with a Basic challenge, so the browser asks again.
/// </summary>
/// <remarks>
/// Tokens are checked as for gRPC calls (<see cref="PeerAuthenticator"/>: revoked tokens and
/// disabled peers are refused, a registered client certificate is required). Basic sends the
/// token with every request, which is why the dashboard listens on loopback only.
/// </remarks>
internal sealed class DashboardAuthorization(PeerAuthenticator authenticator) : IDashboardAsyncAuthorizationFilter
{
    /// <summary>The challenge of a refused request.</summary>
    public const string Challenge = "Basic realm=\"GridExchange\", charset=\"UTF-8\"";

    /// <inheritdoc />
    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        if (BearerHeader(http.Request.Headers.Authorization.ToString()) is { } bearer)
        {
            try
            {
                var caller = await authenticator.AuthenticateAsync(bearer, () => http.Connection.ClientCertificate, http.RequestAborted);
                if (caller.Has(PeerRole.Admin))
                {
                    return true;
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
            {
                // Refused below, as for no credential at all.
            }
        }

        // Hangfire answers 401 to an unauthenticated request the filter refuses; the challenge
        // makes a browser show its login dialog.
        http.Response.Headers[HeaderNames.WWWAuthenticate] = Challenge;
        return false;
    }

    /// <summary>
    /// The <c>Bearer …</c> value <see cref="PeerAuthenticator"/> reads, from a Bearer header or
    /// from the password of a Basic one; null when the header is neither.
    /// </summary>
    internal static string? BearerHeader(string? authorization)
    {
        const string Basic = "Basic ";
        if (string.IsNullOrEmpty(authorization))
        {
            return null;
        }

        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization;
        }

        if (!authorization.StartsWith(Basic, StringComparison.OrdinalIgnoreCase) || authorization.Length > 1024)
        {
            return null;
        }

        var encoded = authorization.AsSpan(Basic.Length).Trim();
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
        if (Convert.TryFromBase64Chars(encoded, bytes, out var length)
            && Encoding.UTF8.GetString(bytes, 0, length) is var pair
            && pair.IndexOf(':', StringComparison.Ordinal) is >= 0 and var colon)
        {
            return "Bearer " + pair[(colon + 1)..];
        }

        return null;
    }
}
