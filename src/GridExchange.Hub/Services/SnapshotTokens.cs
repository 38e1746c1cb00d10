using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GridExchange.Domain.Errors;
using GridExchange.Domain.Feed;
using GridExchange.Storage;
using GridExchange.V1;

namespace GridExchange.Hub.Services;

/// <summary>Where a broken-off snapshot stands: its consistent point and the last record delivered.</summary>
/// <param name="Epoch">The log epoch.</param>
/// <param name="AsOf">The snapshot's consistent sequence.</param>
/// <param name="SnapshotTime">The hub clock at the consistent point.</param>
/// <param name="Type">The entity type of the last record delivered.</param>
/// <param name="Position">The last record delivered.</param>
/// <param name="Count">Records delivered so far.</param>
/// <param name="IssuedAt">When the token was issued.</param>
internal sealed record SnapshotPosition(
    string Epoch, long AsOf, DateTimeOffset SnapshotTime, EntityType Type, EntityPosition Position, long Count, DateTimeOffset IssuedAt);

/// <summary>
/// Opaque, checksummed resume tokens for ExportSnapshot, bound to the scope they were issued
/// for. The checksum guards against damage and mix-ups, not forgery: a forged position only
/// moves the caller within its own scope, and every chunk is filtered by its grant.
/// </summary>
internal static class SnapshotTokens
{
    private const string Version = "s1";
    private const char Separator = '\u001f';

    /// <summary>How long a token is honoured after it was issued.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>A fingerprint of the scope, so a token cannot continue another scope's snapshot.</summary>
    public static string Binding(FeedScope scope) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join(',', scope.Prefixes) + "|" + string.Join(',', scope.Types.Order().Select(t => (int)t)))), 0, 8);

    public static string Encode(string binding, SnapshotPosition position)
    {
        var body = string.Join(Separator, Version, binding, position.Epoch,
            position.AsOf.ToString(CultureInfo.InvariantCulture),
            position.SnapshotTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ((int)position.Type).ToString(CultureInfo.InvariantCulture),
            position.Position.ScopeCode, position.Position.Key,
            position.Count.ToString(CultureInfo.InvariantCulture),
            position.IssuedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(body + Separator + Checksum(body)));
    }

    /// <exception cref="Grpc.Core.RpcException">INVALID_ARGUMENT, INVALID_PAGE_TOKEN.</exception>
    public static SnapshotPosition Decode(string binding, string token)
    {
        string[] parts;
        try
        {
            parts = token.Length > 512 ? [] : Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token)).Split(Separator);
        }
        catch (FormatException)
        {
            throw Invalid();
        }

        if (parts.Length != 11 || parts[0] != Version || parts[1] != binding
            || parts[10] != Checksum(string.Join(Separator, parts[..10]))
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var asOf)
            || !long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var snapshotTime)
            || !int.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out var type)
            || !long.TryParse(parts[8], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || !long.TryParse(parts[9], NumberStyles.None, CultureInfo.InvariantCulture, out var issued))
        {
            throw Invalid();
        }

        return new SnapshotPosition(parts[2], asOf, DateTimeOffset.FromUnixTimeMilliseconds(snapshotTime), (EntityType)type,
            new EntityPosition(parts[6], parts[7]), count, DateTimeOffset.FromUnixTimeMilliseconds(issued));
    }

    private static string Checksum(string body) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)), 0, 8);

    private static Grpc.Core.RpcException Invalid() =>
        RpcErrors.InvalidArgument("resume_token", ErrorReasons.InvalidPageToken,
            "resume_token is not a token this hub issued for this scope; send the same scope as the original request, or start a new snapshot.");
}
