using System.Globalization;
using System.IO.Compression;
using System.Text;
using Google.Protobuf;
using GridExchange.Domain.Ingest;
using GridExchange.Seeds;
using GridExchange.Tests.Seeds;
using GridExchange.V1;
using Microsoft.Extensions.Time.Testing;

namespace GridExchange.Tests.Ingest;

/// <summary>Every record of the committed seeds/sample must pass the ingest validator with its file's source.</summary>
public class CommittedSampleValidationTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    [Fact]
    public void EveryRecord_ValidatesWithItsManifestSource()
    {
        var directory = SeedTestSupport.SampleDirectory();
        var manifest = SeedReader.LoadManifest(directory);
        var asOf = DateOnly.ParseExact(manifest.AsOf, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        // The sample's clock: midnight China time on its as-of day, the strictest "now" it was generated for.
        var clock = new FakeTimeProvider(new DateTimeOffset(asOf.ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(8)));

        var failures = new List<string>();
        var count = 0;
        foreach (var file in manifest.Files)
        {
            var source = new SourceJurisdiction(file.SourceSystem, file.RegionCode);
            using var gzip = new GZipStream(File.OpenRead(Path.Combine(directory, file.Name)), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, new UTF8Encoding(false, true));
            var lineNumber = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                var change = Parser.Parse<Change>(line);
                count++;
                var check = ChangeValidator.Validate(change, source, clock);
                if (!check.IsValid)
                {
                    failures.Add($"{file.Name}:{lineNumber} {change.EntityType} {change.EntityKey}: " +
                        string.Join("; ", check.Problems.Select(p => $"{p.Field} {p.Reason} {p.Description}")));
                    continue;
                }

                Assert.Equal(change.RegionCode, check.RegionCode);
                Assert.Equal(change.EntityType == EntityType.Region ? change.Region.ParentCode : "", check.ParentKey);
            }

            Assert.Equal(file.Lines, lineNumber);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} sample records failed:\n" + string.Join("\n", failures.Take(50)));
    }
}
