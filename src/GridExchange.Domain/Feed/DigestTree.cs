using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GridExchange.Domain.Feed;

/// <summary>One node of a digest tree (see <c>DigestNode</c> in exchange_service.proto).</summary>
/// <param name="Code">12-digit region code or 15-digit grid code.</param>
/// <param name="Hash">Lower-case hex SHA-256.</param>
/// <param name="RecordCount">Records at the node and below.</param>
/// <param name="Children">Non-empty children, by code.</param>
public sealed record DigestTreeNode(string Code, string Hash, long RecordCount, IReadOnlyList<DigestTreeNode> Children);

/// <summary>
/// Builds the digest tree two systems compare to prove they hold the same records: a hash per
/// grid, rolled up per village, township, county, city, province. The hash of a node covers
/// the (key, version) of every record at it, then (code, hash, count) of every non-empty
/// child, each as a text line, so any difference shows up in exactly the nodes above it.
/// </summary>
public static class DigestTree
{
    // Significant prefix lengths of the levels, province to grid (GB/T 2260 + 3-digit grid serial).
    private static readonly int[] PrefixLengths = [2, 4, 6, 9, 12, 15];

    /// <summary>Builds the tree under <paramref name="rootCode"/> from (key, version, region) records.</summary>
    /// <param name="rootCode">A 12-digit region code.</param>
    /// <param name="rootPrefixLength">Its significant prefix length (2, 4, 6, 9 or 12).</param>
    /// <param name="records">Records whose region code lies under the root.</param>
    /// <returns>The root node (with an empty hash's count 0 when no record lies under it).</returns>
    public static DigestTreeNode Build(string rootCode, int rootPrefixLength, IEnumerable<(string Key, long Version, string RegionCode)> records)
    {
        ArgumentNullException.ThrowIfNull(rootCode);
        ArgumentNullException.ThrowIfNull(records);
        var root = new Builder(rootCode);
        foreach (var (key, version, region) in records)
        {
            var node = root;
            foreach (var length in PrefixLengths)
            {
                if (length <= rootPrefixLength || length > SignificantLength(region))
                {
                    continue;
                }

                var code = length == 15 ? region[..15] : region[..length].PadRight(12, '0');
                node = node.Child(code);
            }

            node.Records.Add((key, version));
        }

        return root.Finish();
    }

    /// <summary>The tree cut at <paramref name="levels"/> levels below the root (hashes unchanged).</summary>
    public static DigestTreeNode Prune(DigestTreeNode node, int levels)
    {
        ArgumentNullException.ThrowIfNull(node);
        return levels <= 0
            ? node with { Children = [] }
            : node with { Children = [.. node.Children.Select(c => Prune(c, levels - 1))] };
    }

    private static int SignificantLength(string code)
    {
        if (code.Length == 15)
        {
            return 15;
        }

        // A region's significant length: the longest prefix length whose remainder is not all zeros.
        for (var i = PrefixLengths.Length - 2; i >= 0; i--)
        {
            var length = PrefixLengths[i];
            var previous = i == 0 ? 0 : PrefixLengths[i - 1];
            if (code.AsSpan(previous, length - previous).IndexOfAnyExcept('0') >= 0)
            {
                return length;
            }
        }

        return 2;
    }

    private sealed class Builder(string code)
    {
        private readonly SortedDictionary<string, Builder> _children = new(StringComparer.Ordinal);

        public List<(string Key, long Version)> Records { get; } = [];

        public Builder Child(string childCode)
        {
            if (!_children.TryGetValue(childCode, out var child))
            {
                child = new Builder(childCode);
                _children.Add(childCode, child);
            }

            return child;
        }

        public DigestTreeNode Finish()
        {
            var children = _children.Values.Select(c => c.Finish()).Where(c => c.RecordCount > 0).ToList();
            var text = new StringBuilder();
            Records.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            foreach (var (key, version) in Records)
            {
                text.Append(CultureInfo.InvariantCulture, $"R\t{key}\t{version}\n");
            }

            foreach (var child in children)
            {
                text.Append(CultureInfo.InvariantCulture, $"C\t{child.Code}\t{child.Hash}\t{child.RecordCount}\n");
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
            return new DigestTreeNode(code, hash, Records.Count + children.Sum(c => c.RecordCount), children);
        }
    }
}
