using System.Security.Cryptography;
using System.Text;
using GridExchange.Domain.Feed;

namespace GridExchange.Tests.Feed;

public class DigestTreeTests
{
    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Build_HashesFollowTheContractsLineFormat()
    {
        var tree = DigestTree.Build("370602000000", 6, [("b", 2, "370602001001001"), ("a", 1, "370602001001001")]);

        var grid = Sha("R\ta\t1\nR\tb\t2\n");
        var village = Sha($"C\t370602001001001\t{grid}\t2\n");
        var township = Sha($"C\t370602001001\t{village}\t2\n");
        var county = Sha($"C\t370602001000\t{township}\t2\n");
        Assert.Equal(county, tree.Hash);
        Assert.Equal(2, tree.RecordCount);
        var path = tree.Children[0].Children[0].Children[0];
        Assert.Equal(("370602001001001", grid), (path.Code, path.Hash));
    }

    [Fact]
    public void Build_IsIndependentOfInputOrder_AndADifferenceShowsOnlyOnItsPath()
    {
        (string, long, string)[] records =
        [
            ("p1", 1, "370602001001001"), ("p2", 1, "370602001001002"), ("p3", 4, "370602002001001"), ("r", 1, "370602001000"),
        ];
        var one = DigestTree.Build("370602000000", 6, records);
        var other = DigestTree.Build("370602000000", 6, records.Reverse());
        Assert.Equal(one, other, new NodeComparer());

        var changed = DigestTree.Build("370602000000", 6, records.Select(r => r.Item1 == "p2" ? (r.Item1, 2L, r.Item3) : r));
        static IEnumerable<DigestTreeNode> All(DigestTreeNode n) => new[] { n }.Concat(n.Children.SelectMany(All));
        var before = All(one).ToDictionary(n => n.Code, n => n.Hash);
        Assert.Equal(["370602000000", "370602001000", "370602001001", "370602001001002"],
            All(changed).Where(n => before[n.Code] != n.Hash).Select(n => n.Code).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Build_RegionRecordsAttachToTheirOwnNode_AndEmptyTreesHashTheEmptyText()
    {
        var tree = DigestTree.Build("370602000000", 6, [("county", 1, "370602000000"), ("town", 1, "370602001000")]);
        Assert.Equal(2, tree.RecordCount);
        Assert.Equal("370602001000", Assert.Single(tree.Children).Code);
        Assert.Equal(Sha(""), DigestTree.Build("370602000000", 6, []).Hash);
    }

    [Fact]
    public void Prune_CutsChildrenButKeepsHashes()
    {
        var tree = DigestTree.Build("370602000000", 6, [("a", 1, "370602001001001")]);
        var pruned = DigestTree.Prune(tree, 1);
        Assert.Equal(tree.Hash, pruned.Hash);
        Assert.Empty(Assert.Single(pruned.Children).Children);
    }

    private sealed class NodeComparer : IEqualityComparer<DigestTreeNode>
    {
        public bool Equals(DigestTreeNode? x, DigestTreeNode? y) =>
            x is not null && y is not null && x.Code == y.Code && x.Hash == y.Hash && x.RecordCount == y.RecordCount
            && x.Children.Count == y.Children.Count && x.Children.Zip(y.Children).All(p => Equals(p.First, p.Second));

        public int GetHashCode(DigestTreeNode obj) => obj.Hash.GetHashCode(StringComparison.Ordinal);
    }
}
