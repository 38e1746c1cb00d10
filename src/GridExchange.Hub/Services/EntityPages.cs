using Google.Protobuf;
using GridExchange.Domain.Paging;
using GridExchange.Storage;

namespace GridExchange.Hub.Services;

/// <summary>
/// Keyset paging for every List RPC: validate the page size, decode the request-bound token,
/// fetch one row more than the page to learn whether another page follows, and parse rows.
/// </summary>
internal static class EntityPages
{
    /// <summary>Validates <c>page_size</c> (negative → INVALID_PAGE_SIZE) and applies the default and cap.</summary>
    public static int Size(int requested)
    {
        RpcErrors.ThrowIfInvalid(PageSize.Validate(requested), "page_size");
        return PageSize.Normalize(requested);
    }

    /// <summary>Reads one page of entities of type <typeparamref name="T"/>.</summary>
    /// <param name="binding">What the token is bound to: the RPC and its filters.</param>
    /// <param name="pageToken">The request's page token; empty for the first page.</param>
    /// <param name="pageSize">The normalised page size.</param>
    /// <param name="fetch">Reads up to the given number of rows after a position.</param>
    /// <param name="parser">Parses a row's payload.</param>
    public static async Task<(IEnumerable<T> Items, string NextPageToken)> ReadAsync<T>(
        string binding,
        string pageToken,
        int pageSize,
        Func<EntityPosition?, int, Task<IReadOnlyList<EntityRecord>>> fetch,
        MessageParser<T> parser)
        where T : IMessage<T>
    {
        var after = PageTokens.Decode(binding, pageToken);
        var rows = await fetch(after, pageSize + 1);
        var next = rows.Count > pageSize
            ? PageTokens.Encode(binding, new EntityPosition(rows[pageSize - 1].ScopeCode, rows[pageSize - 1].Key))
            : "";
        return (rows.Take(pageSize).Select(r => EntityRecords.Parse(r, parser)), next);
    }
}
