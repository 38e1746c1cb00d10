using System.Buffers.Text;
using System.Text;
using Grpc.Core;
using GridExchange.Domain.Errors;
using GridExchange.Storage;

namespace GridExchange.Hub.Services;

/// <summary>
/// Opaque page tokens: the last position served, bound to the request that produced it, so a
/// token replayed against another filter or tampered with is rejected instead of silently
/// returning another query's rows.
/// </summary>
internal static class PageTokens
{
    private const string Version = "p1";
    private const char Separator = '\u001f';

    /// <summary>Encodes the position after which the next page starts.</summary>
    public static string Encode(string binding, EntityPosition position) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Join(Separator, Version, binding, position.ScopeCode, position.Key)));

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

        if (parts.Length != 4 || parts[0] != Version || parts[1] != binding)
        {
            throw Invalid();
        }

        return new EntityPosition(parts[2], parts[3]);
    }

    private static RpcException Invalid() =>
        RpcErrors.InvalidArgument("page_token", ErrorReasons.InvalidPageToken,
            "page_token is not a token this request returned; start again with an empty page_token.");
}
