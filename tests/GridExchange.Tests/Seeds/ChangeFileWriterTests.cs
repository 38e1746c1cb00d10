using System.IO.Compression;
using System.Security.Cryptography;
using GridExchange.Seeds;
using GridExchange.Seeds.Output;
using GridExchange.V1;

namespace GridExchange.Tests.Seeds;

public class ChangeFileWriterTests
{
    [Fact]
    public async Task Complete_SectionsWrittenOutOfOrder_AreJoinedInSectionOrderWithSequentialIds()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "test.ndjson.gz");
        SeedFile file;
        using (var writer = new ChangeFileWriter(temp.Path, "county-370602", sectionCount: 2))
        {
            writer.Add(1, Region("370602001001"));
            writer.Add(0, Region("370602000000"));
            writer.Add(1, Region("370602001002"));
            writer.Add(0, Region("370602001000"));
            file = writer.Complete(path, "370602000000");
        }

        var changes = await SeedTestSupport.ReadAllAsync(path);

        Assert.Equal(["370602000000", "370602001000", "370602001001", "370602001002"], changes.Select(c => c.EntityKey));
        Assert.Equal(["seed-00000001", "seed-00000002", "seed-00000003", "seed-00000004"], changes.Select(c => c.SourceChangeId));
        Assert.All(changes, c =>
        {
            Assert.Equal(ChangeOperation.Upsert, c.Operation);
            Assert.Equal(1, c.EntityVersion);
            Assert.Equal("county-370602", c.SourceSystem);
        });
        Assert.Equal(4, file.Lines);
        Assert.Equal(4, file.Records["ENTITY_TYPE_REGION"]);
        Assert.Empty(Directory.GetFiles(temp.Path, "*.spool"));

        await using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var content = new MemoryStream();
        await gzip.CopyToAsync(content).WaitAsync(SeedTestSupport.Timeout);
        Assert.Equal(file.UncompressedBytes, content.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content.ToArray())), file.Sha256);
    }

    private static Change Region(string code) => new()
    {
        EntityType = EntityType.Region,
        EntityKey = code,
        RegionCode = code,
        Region = new Region { Meta = new EntityMeta { Id = code }, Code = code, Name = "测试" },
    };
}
