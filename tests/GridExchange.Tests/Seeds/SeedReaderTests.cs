using System.IO.Compression;
using System.Text;
using GridExchange.Seeds;
using GridExchange.V1;

namespace GridExchange.Tests.Seeds;

public class SeedReaderTests
{
    private static readonly string Regions = Path.Combine(SeedTestSupport.SampleDirectory(), "regions.ndjson.gz");

    [Fact]
    public async Task ReadAsync_WithLineFilter_ReturnsOnlyTheKeptLinesInFileOrder()
    {
        var all = await SeedTestSupport.ReadAllAsync(Regions);

        var kept = await ReadAsync(Regions, line => !line.Contains("\"entityKey\": \"370000000000\"", StringComparison.Ordinal));

        Assert.Equal(all.Where(c => c.EntityKey != "370000000000").ToList(), kept);
        Assert.NotEmpty(kept);
    }

    [Fact]
    public async Task ReadAsync_WithLineFilter_DoesNotParseTheSkippedLines()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "mixed.ndjson.gz");
        var valid = (await SeedTestSupport.ReadAllAsync(Regions))[0];
        await using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        {
            var text = "not a change\n" + Google.Protobuf.JsonFormatter.Default.Format(valid) + "\n";
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(text));
        }

        var kept = await ReadAsync(path, line => line.StartsWith('{'));

        Assert.Equal([valid], kept);
        await Assert.ThrowsAsync<InvalidDataException>(() => SeedTestSupport.ReadAllAsync(path));
    }

    private static async Task<List<Change>> ReadAsync(string path, Func<string, bool> keepLine)
    {
        using var cts = new CancellationTokenSource(SeedTestSupport.Timeout);
        var changes = new List<Change>();
        await foreach (var change in SeedReader.ReadAsync(path, keepLine, cts.Token))
        {
            changes.Add(change);
        }

        return changes;
    }
}
