using Google.Protobuf;
using GridExchange.Domain.Paging;
using GridExchange.Storage;

namespace GridExchange.Hub.Services;

/// <summary>
/// Keyset paging for every List RPC: validate the page size, decode the request-bound token,
/// walk the store's keyset order applying the request's filters to the parsed records, and
/// hand out a token positioned after the last row examined.
/// </summary>
/// <remarks>
/// A filter is applied after the index range scan, so a selective filter over a large scope
/// could otherwise read the whole scope in one call. The work per call is bounded instead: at
/// most <see cref="ExaminedRowBudget"/> rows are examined, and a page may therefore hold fewer
/// matches than asked, even none, while a token says more rows follow.
/// </remarks>
internal static class EntityPages
{
    /// <summary>The most rows one fetch from the store reads, so a call's memory stays bounded.</summary>
    private const int MaxFetch = 1000;

    /// <summary>The fewest rows a fetch after the first reads: small pages with a selective filter need no round trip per row.</summary>
    private const int MinRefetch = 64;

    /// <summary>Validates <c>page_size</c> (negative → INVALID_PAGE_SIZE) and applies the default and cap.</summary>
    public static int Size(int requested)
    {
        RpcErrors.ThrowIfInvalid(PageSize.Validate(requested), "page_size");
        return PageSize.Normalize(requested);
    }

    /// <summary>
    /// The most rows one call examines: max(page size × 20, 2000). Without a filter every row
    /// examined is returned, so the bound only bites on selective filters.
    /// </summary>
    public static int ExaminedRowBudget(int pageSize) => Math.Max(pageSize * 20, 2000);

    /// <summary>Reads one page of entities of type <typeparamref name="T"/>.</summary>
    /// <param name="binding">
    /// What the token is bound to: the RPC, its scope and every filter in canonical form, so a
    /// token replayed with other filters is INVALID_PAGE_TOKEN.
    /// </param>
    /// <param name="pageToken">The request's page token; empty for the first page.</param>
    /// <param name="pageSize">The normalised page size.</param>
    /// <param name="fetch">Reads up to the given number of rows after a position, in keyset order.</param>
    /// <param name="parser">Parses a row's payload.</param>
    /// <param name="filter">Which parsed records the page keeps; null keeps every record.</param>
    /// <returns>
    /// At most <paramref name="pageSize"/> matches, and a token positioned after the last row
    /// examined; the token is empty exactly when no row follows it.
    /// </returns>
    public static async Task<(IReadOnlyList<T> Items, string NextPageToken)> ReadAsync<T>(
        string binding,
        string pageToken,
        int pageSize,
        Func<EntityPosition?, int, Task<IReadOnlyList<EntityRecord>>> fetch,
        MessageParser<T> parser,
        Func<T, bool>? filter = null)
        where T : IMessage<T>
    {
        var position = PageTokens.Decode(binding, pageToken);
        var budget = ExaminedRowBudget(pageSize);
        var items = new List<T>(Math.Min(pageSize, 100));
        var examined = 0;

        // The first fetch assumes every row matches (one more row tells whether another page
        // follows); when a filter drops rows, later fetches grow, within the budget.
        var want = Math.Min(pageSize, budget);
        while (true)
        {
            var rows = await fetch(position, want + 1);
            var used = 0;
            while (used < rows.Count && used < want && items.Count < pageSize)
            {
                var row = rows[used++];
                examined++;
                position = new EntityPosition(row.ScopeCode, row.Key);
                var item = EntityRecords.Parse(row, parser);
                if (filter is null || filter(item))
                {
                    items.Add(item);
                }
            }

            var moreRows = used < rows.Count;
            if (items.Count == pageSize || examined == budget || !moreRows)
            {
                // A row not examined in this fetch proves another page follows the position.
                return (items, moreRows ? PageTokens.Encode(binding, position!.Value) : "");
            }

            want = Math.Min(Math.Min(Math.Max(want * 2, MinRefetch), MaxFetch), budget - examined);
        }
    }
}
