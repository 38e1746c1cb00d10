namespace GridExchange.IntegrationTests.Infrastructure;

/// <summary>Walks List RPCs page by page, and computes what the sample says they must return.</summary>
public static class Pages
{
    /// <summary>
    /// Calls <paramref name="call"/> with an empty token, then with each <c>next_page_token</c>,
    /// until the token is empty; returns every page. Fails if a page exceeds
    /// <paramref name="pageSize"/> or the walk does not end within <paramref name="maxPages"/>.
    /// </summary>
    public static async Task<List<List<T>>> WalkAsync<T>(
        Func<string, Task<(IReadOnlyList<T> Items, string NextPageToken)>> call, int pageSize, int maxPages = 20_000)
    {
        var pages = new List<List<T>>();
        var token = "";
        do
        {
            var (items, next) = await call(token);
            Assert.True(items.Count <= pageSize, $"page {pages.Count + 1} holds {items.Count} items, more than page_size {pageSize}");
            pages.Add([.. items]);
            token = next;
            Assert.True(pages.Count <= maxPages, $"no last page after {maxPages} pages");
        }
        while (token.Length > 0);

        return pages;
    }

    /// <summary>Like <see cref="WalkAsync{T}"/>, returning every item in the order served.</summary>
    public static async Task<List<T>> AllAsync<T>(
        Func<string, Task<(IReadOnlyList<T> Items, string NextPageToken)>> call, int pageSize) =>
        [.. (await WalkAsync(call, pageSize)).SelectMany(p => p)];

    /// <summary>Orders records the way every grid-level List RPC documents: grid code, then id, byte-wise.</summary>
    public static List<string> InListOrder<T>(IEnumerable<T> records, Func<T, string> gridCode, Func<T, string> id) =>
        [.. records.OrderBy(gridCode, StringComparer.Ordinal).ThenBy(id, StringComparer.Ordinal).Select(id)];

    /// <summary>
    /// The exact pages a filtered listing serves under the documented work bound: each call
    /// examines rows in list order until it holds <paramref name="pageSize"/> matches or has
    /// examined max(page size × 20, 2000) rows; a token follows while rows remain after the last
    /// row examined.
    /// </summary>
    /// <param name="orderedIds">Every id in the scope, in list order.</param>
    /// <param name="matches">Whether an id passes the filter.</param>
    /// <param name="pageSize">The normalised page size.</param>
    public static List<List<string>> Expected(IReadOnlyList<string> orderedIds, Func<string, bool> matches, int pageSize)
    {
        var budget = Math.Max(pageSize * 20, 2000);
        var pages = new List<List<string>>();
        var next = 0;
        do
        {
            var page = new List<string>();
            var examined = 0;
            while (next < orderedIds.Count && page.Count < pageSize && examined < budget)
            {
                examined++;
                if (matches(orderedIds[next]))
                {
                    page.Add(orderedIds[next]);
                }

                next++;
            }

            pages.Add(page);
        }
        while (next < orderedIds.Count);

        return pages;
    }
}
