using Google.Protobuf;
using GridExchange.Cli;
using GridExchange.Client;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Cli;

/// <summary>
/// gridx end to end: the tool is run in-process (<see cref="GridExchange.Cli.Program.RunAsync"/> with captured
/// stdout/stderr and its own environment) against a real hub on SQLite with the sample loaded,
/// and its JSON output compared with the same calls made through the .NET client.
/// </summary>
public sealed class GridxCliTests(SqliteHubFixture fixture) : IClassFixture<SqliteHubFixture>
{
    private const string Zhifu = "370602000000";

    private HubInstance Hub => fixture.Hub;

    private GridExchangeClient Client() => new(new GridExchangeClientOptions
    {
        Address = Hub.Address,
        BearerToken = TestPeers.TokenFor(TestPeers.Province),
    });

    private async Task<(int Code, string Out, string Error)> GridxWithEnvAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var env = environment ?? new Dictionary<string, string?> { ["GRIDX_TOKEN"] = TestPeers.TokenFor(TestPeers.Province) };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var code = await GridExchange.Cli.Program.RunAsync(
            [.. args, "--address", Hub.Address.ToString(), "--retries", "0"],
            new CliIo(stdout, stderr, name => env.TryGetValue(name, out var value) ? value : null, ErrorIsTerminal: false),
            timeout.Token);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private Task<(int Code, string Out, string Error)> GridxAsync(params string[] args) => GridxWithEnvAsync(null, args);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Pull_Json_EqualsPullChangesThroughTheClient()
    {
        var (code, output, error) = await GridxAsync("pull", "--scope", Zhifu, "--types", "person,household", "--page-size", "50", "--output", "json");
        Assert.True(code == 0, error);
        var line = Assert.Single(Lines(output));
        var fromCli = JsonParser.Default.Parse<PullChangesResponse>(line);

        using var client = Client();
        var expected = await client.Exchange.PullChangesAsync(new PullChangesRequest
        {
            Scope = new ChangeScope { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person, EntityType.Household } },
            PageSize = 50,
        });
        Assert.Equal(50, expected.Changes.Count);
        Assert.Equal(expected, fromCli);

        // The next page from the printed cursor, then --all to the end: as many as a full pull.
        var (all, _) = await FeedCalls.PullAllAsync(client.Exchange, "", new ChangeScope { RegionPrefixes = { Zhifu } });
        var (allCode, allOutput, allError) = await GridxAsync("pull", "--scope", Zhifu, "--all", "--page-size", "500", "-o", "json");
        Assert.True(allCode == 0, allError);
        var pages = Lines(allOutput).Select(JsonParser.Default.Parse<PullChangesResponse>).ToList();
        Assert.True(pages.Count > 1);
        Assert.True(pages[^1].CaughtUp);
        Assert.Equal(all.Select(c => c.Sequence), pages.SelectMany(p => p.Changes).Select(c => c.Sequence));

        // The table output ends with the next cursor.
        var (tableCode, table, _) = await GridxAsync("pull", "--scope", Zhifu, "--page-size", "5");
        Assert.Equal(0, tableCode);
        Assert.Contains($"next_cursor: {all[4].Cursor}", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_Json_EqualsGetRegionStats()
    {
        var (code, output, error) = await GridxAsync("stats", Zhifu, "--children", "-o", "json");
        Assert.True(code == 0, error);
        var fromCli = JsonParser.Default.Parse<GetRegionStatsResponse>(Assert.Single(Lines(output)));

        using var client = Client();
        var expected = await client.Stats.GetRegionStatsAsync(new GetRegionStatsRequest { RegionCode = Zhifu, IncludeChildren = true });
        Assert.True(expected.Stats.ResidentCount > 0);
        Assert.NotEmpty(expected.Children);
        // computed_at is the time of each computation: everything else is equal.
        foreach (var stats in new[] { fromCli.Stats, expected.Stats }.Concat(fromCli.Children).Concat(expected.Children))
        {
            stats.ComputedAt = null;
        }

        Assert.Equal(expected, fromCli);

        var (tableCode, table, _) = await GridxAsync("stats", Zhifu);
        Assert.Equal(0, tableCode);
        Assert.Contains(expected.Stats.ResidentCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_WritesEveryRecordOfTheSnapshot_AndPrintsTheEnd()
    {
        var directory = Directory.CreateTempSubdirectory("gridx-cli-export-").FullName;
        try
        {
            var file = Path.Combine(directory, "zhifu.ndjson");
            var (code, output, error) = await GridxAsync("export", "--scope", Zhifu, "--out", file, "-o", "json");
            Assert.True(code == 0, error);
            var end = JsonParser.Default.Parse<SnapshotEnd>(Assert.Single(Lines(output)));
            var records = Lines(await File.ReadAllTextAsync(file)).Select(JsonParser.Default.Parse<Change>).ToList();

            using var client = Client();
            long expected = 0;
            using (var call = client.Exchange.ExportSnapshot(new ExportSnapshotRequest { Scope = new ChangeScope { RegionPrefixes = { Zhifu } } }))
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    if (call.ResponseStream.Current.ItemCase == ExportSnapshotResponse.ItemOneofCase.End)
                    {
                        Assert.Equal(call.ResponseStream.Current.End.Cursor, end.Cursor);
                        expected = call.ResponseStream.Current.End.RecordCount;
                    }
                }
            }

            Assert.True(expected > 1000, $"only {expected} records");
            Assert.Equal(expected, end.RecordCount);
            Assert.Equal(expected, records.Count);
            Assert.All(records, r => Assert.StartsWith("3706", r.RegionCode, StringComparison.Ordinal));
            Assert.Equal(records.Count, records.Select(r => (r.EntityType, r.EntityKey)).Distinct().Count());

            // To stdout: the records are stdout, the end goes to stderr.
            var (stdoutCode, stdout, stderr) = await GridxAsync("export", "--scope", Zhifu, "--types", "grid");
            Assert.Equal(0, stdoutCode);
            var grids = Lines(stdout).Select(JsonParser.Default.Parse<Change>).ToList();
            Assert.NotEmpty(grids);
            Assert.All(grids, g => Assert.Equal(EntityType.Grid, g.EntityType));
            Assert.Contains($"records: {grids.Count}", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task BadToken_ExitsWith3_AndPrintsUnauthenticated_EvenWhenTheEnvironmentHasAGoodOne()
    {
        // --token wins over GRIDX_TOKEN.
        var (code, output, error) = await GridxAsync("stats", Zhifu, "--token", "not-a-token");
        Assert.Equal(ExitCodes.Auth, code);
        Assert.Empty(output);
        Assert.Contains("UNAUTHENTICATED", error, StringComparison.Ordinal);

        // No token at all: also 3.
        var (none, _, noneError) = await GridxWithEnvAsync(new Dictionary<string, string?>(), "pull");
        Assert.Equal(ExitCodes.Auth, none);
        Assert.StartsWith("gridx: UNAUTHENTICATED", noneError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedRegion_ExitsWith5_AndPrintsInvalidCode()
    {
        var (code, output, error) = await GridxAsync("stats", "37060200");
        Assert.Equal(ExitCodes.Invalid, code);
        Assert.Empty(output);
        Assert.Contains("INVALID_ARGUMENT INVALID_CODE", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsageErrors_ExitWith2()
    {
        Assert.Equal(ExitCodes.Usage, (await GridxAsync("pull", "--no-such-option")).Code);
        Assert.Equal(ExitCodes.Usage, (await GridxAsync("pull", "--types", "spaceship")).Code);
        Assert.Equal(ExitCodes.Usage, (await GridxAsync("stats")).Code);
        Assert.Equal(ExitCodes.Usage, (await GridxAsync("export")).Code);
        Assert.Equal(ExitCodes.Usage, (await GridxAsync("pull", "-o", "xml")).Code);
        var (help, text, _) = await GridxAsync("--help");
        Assert.Equal(0, help);
        Assert.Contains("EXIT CODES", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFile_SuppliesTheToken_WhenNeitherFlagNorEnvironmentDoes()
    {
        var directory = Directory.CreateTempSubdirectory("gridx-cli-config-").FullName;
        try
        {
            var config = Path.Combine(directory, "gridx", "config.json");
            Directory.CreateDirectory(Path.GetDirectoryName(config)!);
            await File.WriteAllTextAsync(config, $$"""{"address": "{{Hub.Address}}", "token": "{{TestPeers.TokenFor(TestPeers.Province)}}"}""");
            var (code, output, error) = await GridxWithEnvAsync(new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = directory }, "stats", Zhifu, "-o", "json");
            Assert.True(code == 0, error);
            Assert.Contains(Zhifu, output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Follow_WithACheckpoint_ResumesAfterTheLastChangeOfThePreviousRun()
    {
        var directory = Directory.CreateTempSubdirectory("gridx-cli-follow-").FullName;
        try
        {
            using var client = Client();
            var (all, _) = await FeedCalls.PullAllAsync(client.Exchange, "", new ChangeScope { RegionPrefixes = { Zhifu } });
            Assert.True(all.Count > 100);
            var checkpoint = Path.Combine(directory, "zhifu.checkpoint");
            string[] Follow() => ["follow", "--scope", Zhifu, "--checkpoint", checkpoint, "--heartbeat", "1", "--max", "40", "-o", "json"];

            var (first, firstOut, firstError) = await GridxAsync(Follow());
            Assert.True(first == 0, firstError);
            var firstRun = Lines(firstOut).Select(JsonParser.Default.Parse<Change>).Select(c => c.Sequence).ToList();
            Assert.Equal(all.Take(40).Select(c => c.Sequence), firstRun);

            var (second, secondOut, secondError) = await GridxAsync(Follow());
            Assert.True(second == 0, secondError);
            var secondRun = Lines(secondOut).Select(JsonParser.Default.Parse<Change>).Select(c => c.Sequence).ToList();
            Assert.Equal(all.Skip(40).Take(40).Select(c => c.Sequence), secondRun);

            // The table format: one line per change; --until-caught-up stops at the end of the feed.
            var (third, thirdOut, thirdError) = await GridxAsync("follow", "--scope", Zhifu, "--checkpoint", checkpoint, "--heartbeat", "1", "--until-caught-up");
            Assert.True(third == 0, thirdError);
            var lines = Lines(thirdOut);
            Assert.Equal(all.Count - 80, lines.Length);
            Assert.StartsWith(all[80].Sequence + "\t", lines[0], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
