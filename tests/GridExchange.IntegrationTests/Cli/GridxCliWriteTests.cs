using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GridExchange.Cli;
using GridExchange.Client;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;

namespace GridExchange.IntegrationTests.Cli;

/// <summary>
/// gridx's writing and operator commands end to end (submit, directive issue/ack/status, peers,
/// audit verify), on a hub of their own so the read tests see the sample unchanged.
/// </summary>
public sealed class GridxCliWriteTests(SqliteHubFixture fixture) : IClassFixture<SqliteHubFixture>
{
    private const string Zhifu = "370602000000";

    private HubInstance Hub => fixture.Hub;

    private GridExchangeClient Client(string peer = TestPeers.Province) => new(new GridExchangeClientOptions
    {
        Address = Hub.Address,
        BearerToken = TestPeers.TokenFor(peer),
    });

    private async Task<(int Code, string Out, string Error)> GridxAsync(string peer, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var token = TestPeers.TokenFor(peer);
        var code = await GridExchange.Cli.Program.RunAsync(
            [.. args, "--address", Hub.Address.ToString(), "--retries", "0"],
            new CliIo(stdout, stderr, name => name == "GRIDX_TOKEN" ? token : null, ErrorIsTerminal: false),
            timeout.Token);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Submit_AppliesAFileOfChanges_RepeatsIdempotently_AndExitsWith5OnARejectedOne()
    {
        using var client = Client();
        var page = await client.Exchange.PullChangesAsync(new PullChangesRequest
        {
            Scope = new ChangeScope { RegionPrefixes = { Zhifu }, EntityTypes = { EntityType.Person } },
            PageSize = 2,
        });
        var source = page.Changes[0].SourceSystem;
        Assert.All(page.Changes, c => Assert.Equal(source, c.SourceSystem));
        var edits = page.Changes.Select((c, i) =>
        {
            var edit = c.Clone();
            edit.Sequence = 0;
            edit.Cursor = "";
            edit.CommittedAt = null;
            edit.SourceSystem = "";
            edit.EntityVersion = c.EntityVersion + 1;
            edit.Person.Meta.Version = edit.EntityVersion;
            edit.SourceChangeId = $"gridx-cli-test-{i}";
            return edit;
        }).ToList();
        var directory = Directory.CreateTempSubdirectory("gridx-cli-submit-").FullName;
        try
        {
            var file = Path.Combine(directory, "changes.ndjson");
            await File.WriteAllLinesAsync(file, edits.Select(e => JsonFormatter.Default.Format(e)));

            var (code, output, error) = await GridxAsync(source, "submit", file, "--source", source, "-o", "json");
            Assert.True(code == 0, error);
            var answer = JsonParser.Default.Parse<SubmitChangesResponse>(Assert.Single(Lines(output)));
            Assert.Equal(2, answer.AppliedCount);
            var applied = (await FeedCalls.PullAllAsync(client.Exchange, "", new ChangeScope { RegionPrefixes = { Zhifu } })).Changes
                .Where(c => c.SourceChangeId.StartsWith("gridx-cli-test-", StringComparison.Ordinal)).ToList();
            Assert.Equal(edits.Select(e => (e.EntityKey, e.EntityVersion)), applied.Select(c => (c.EntityKey, c.EntityVersion)));

            // The same file again: the same request ids, answered with the first answer, nothing applied twice.
            var (again, againOutput, againError) = await GridxAsync(source, "submit", file, "--source", source, "-o", "json");
            Assert.True(again == 0, againError);
            Assert.Equal(answer, JsonParser.Default.Parse<SubmitChangesResponse>(Assert.Single(Lines(againOutput))));

            // A change the hub rejects: exit code 5, the line named on stderr.
            var bad = edits[0].Clone();
            bad.EntityVersion += 1;
            bad.Person.Meta.Version = bad.EntityVersion;
            bad.Person.CitizenId = "123";
            bad.SourceChangeId = "gridx-cli-test-bad";
            var badFile = Path.Combine(directory, "bad.ndjson");
            await File.WriteAllLinesAsync(badFile, [JsonFormatter.Default.Format(bad)]);
            var (rejected, _, rejectedError) = await GridxAsync(source, "submit", badFile, "--source", source);
            Assert.Equal(ExitCodes.Invalid, rejected);
            Assert.Contains("line 1 (gridx-cli-test-bad) rejected", rejectedError, StringComparison.Ordinal);

            // Not a Change at all: a usage error.
            await File.WriteAllTextAsync(badFile, "{\"no_such_field\": 1}\n");
            Assert.Equal(ExitCodes.Usage, (await GridxAsync(source, "submit", badFile, "--source", source)).Code);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Directive_IssueAckAndStatus_EqualTheClientsView()
    {
        var directory = Directory.CreateTempSubdirectory("gridx-cli-directive-").FullName;
        try
        {
            var file = Path.Combine(directory, "directive.json");
            await File.WriteAllTextAsync(file, JsonFormatter.Default.Format(new Directive
            {
                Title = "关于开展矛盾纠纷排查化解专项行动的通知",
                Content = "请于规定时间内完成辖区矛盾纠纷排查，并反馈排查台账。",
                IssuerUnit = "测试政法委",
                Supervision = SupervisionKind.Normal,
                TargetRegionCodes = { Zhifu },
                SignForDeadline = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(30)),
                CompletionDeadline = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(60)),
            }));
            var (code, output, error) = await GridxAsync(TestPeers.Province, "directive", "issue", file, "-o", "json");
            Assert.True(code == 0, error);
            var issued = JsonParser.Default.Parse<IssueDirectiveResponse>(Assert.Single(Lines(output)));
            var id = issued.Directive.Meta.Id;
            Assert.NotEmpty(id);

            var recipient = (await Client().Directives.ListDirectiveReceiptsAsync(new ListDirectiveReceiptsRequest { DirectiveId = id })).Receipts[0];
            var (ack, _, ackError) = await GridxAsync(
                TestPeers.Province, "directive", "ack", id, "--region", recipient.RecipientRegionCode, "--action", "sign-for", "--actor", "张三");
            Assert.True(ack == 0, ackError);

            var (status, statusOutput, statusError) = await GridxAsync(TestPeers.Province, "directive", "status", id, "-o", "json");
            Assert.True(status == 0, statusError);
            using var client = Client();
            var expected = await client.Directives.GetDirectiveStatusAsync(new GetDirectiveStatusRequest { DirectiveId = id });
            Assert.Equal(expected, JsonParser.Default.Parse<GetDirectiveStatusResponse>(Assert.Single(Lines(statusOutput))));
            Assert.Equal(1, expected.Counts.SignedForCount);

            var (missing, _, missingError) = await GridxAsync(TestPeers.Province, "directive", "status", "no-such-directive");
            Assert.True(missing is ExitCodes.NotFound or ExitCodes.Invalid, missingError);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task PeersAndAudit_NeedTheAdminToken()
    {
        var (code, output, error) = await GridxAsync("hub-admin", "peers", "list", "-o", "json");
        Assert.True(code == 0, error);
        var peers = Lines(output).Select(JsonParser.Default.Parse<Peer>).ToList();
        Assert.Contains(peers, p => p.Id == TestPeers.Province);

        var (status, statusOutput, statusError) = await GridxAsync("hub-admin", "peers", "status", TestPeers.Province, "-o", "json");
        Assert.True(status == 0, statusError);
        Assert.Equal(TestPeers.Province, JsonParser.Default.Parse<GetPeerStatusResponse>(statusOutput.Trim()).Status.PeerId);
        var (unknown, _, _) = await GridxAsync("hub-admin", "peers", "status", "no-such-peer");
        Assert.Equal(ExitCodes.NotFound, unknown);

        var (audit, auditOutput, auditError) = await GridxAsync("hub-admin", "audit", "verify", "-o", "json");
        Assert.True(audit == 0, auditError);
        Assert.True(JsonParser.Default.Parse<VerifyAuditLogResponse>(auditOutput.Trim()).Intact);
        var (table, tableOutput, _) = await GridxAsync("hub-admin", "audit", "verify");
        Assert.Equal(0, table);
        Assert.Contains("intact", tableOutput, StringComparison.Ordinal);

        // A consumer's token may not administer: PERMISSION_DENIED, exit code 3.
        var (denied, _, deniedError) = await GridxAsync(TestPeers.Province, "peers", "list");
        Assert.Equal(ExitCodes.Auth, denied);
        Assert.Contains("PERMISSION_DENIED", deniedError, StringComparison.Ordinal);
    }
}
