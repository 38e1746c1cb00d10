using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Storage;

namespace GridExchange.Hub.Services;

/// <summary>
/// Opaque page tokens: the last position served, bound to the request that produced it and
/// sealed with a checksum, so a token replayed against another filter or damaged in transit is
/// rejected instead of silently returning another query's rows. The checksum is not a secret:
/// a forged position can only move the caller within its own query, and authorisation applies
/// to every page (a token grants nothing).
/// </summary>
internal static class PageTokens
{
    private const string Version = "p1";
    private const char Separator = '\u001f';

    /// <summary>Encodes the position after which the next page starts.</summary>
    public static string Encode(string binding, EntityPosition position)
    {
        var body = string.Join(Separator, Version, binding, position.ScopeCode, position.Key);
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(body + Separator + Checksum(body)));
    }

    /// <summary>Decodes <paramref name="token"/>; an empty token means the first page.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT, reason INVALID_PAGE_TOKEN.</exception>
    public static EntityPosition? Decode(string binding, string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        string[] parts;
        try
        {
            parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token)).Split(Separator);
        }
        catch (FormatException)
        {
            throw Invalid();
        }

        if (parts.Length != 5 || parts[0] != Version || parts[1] != binding
            || parts[4] != Checksum(string.Join(Separator, parts[..4])))
        {
            throw Invalid();
        }

        return new EntityPosition(parts[2], parts[3]);
    }

    private static string Checksum(string body) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(body)), 0, 8);

    private static RpcException Invalid() =>
        RpcErrors.InvalidArgument("page_token", ErrorReasons.InvalidPageToken,
            "page_token is not a token this request returned; start again with an empty page_token.");
}
