using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using GridExchange.IntegrationTests.Infrastructure;
using GridExchange.V1;
using Xunit.Abstractions;

namespace GridExchange.IntegrationTests.Interop;

/// <summary>
/// The integrator's example in another language (<c>tests/interop/client.mjs</c>, Node.js with
/// @grpc/grpc-js, built from <c>protos/</c> alone) against a real hub over a real socket: it
/// snapshots county 370602 as that county's peer, follows the feed until the directive this
/// test issues meanwhile arrives, signs for it, and decodes the ErrorInfo of a bad call. Needs
/// Node.js and npm on the PATH (.ci/run installs them); runs <c>npm ci</c> there when its
/// node_modules is missing.
/// </summary>
public sealed class NodeClientTests(ITestOutputHelper output)
{
    private const string County = "county-370602";
    private const string Region = "370602000000";

    private static string InteropDirectory => Path.Combine(RepoPaths.Root, "tests", "interop");

    [Fact]
    public async Task NodeClient_SnapshotsFollowsSignsForAndDecodesAnError_AsTheHubSees()
    {
        await EnsureDependenciesAsync();
        await using var scratch = await ScratchHub.StartAsync(StoreKind.Sqlite);
        var hub = scratch.Hub;

        // What the hub holds for the county's scope, read through the .NET client as the county.
        var scope = new ChangeScope { RegionPrefixes = { Region } };
        var asCounty = new ExchangeService.ExchangeServiceClient(TestPeers.Authenticated(hub.RawChannel, County));
        var expected = await FeedCalls.ReadSnapshotAsync(asCounty, scope);
        Assert.NotNull(expected.End);
        Assert.True(expected.Records.Count > 9000, $"only {expected.Records.Count} records in {Region}");

        using var process = Start("node", InteropDirectory,
            "client.mjs", "--address", hub.Address.ToString(), "--token", TestPeers.TokenFor(County), "--region", Region,
            "--heartbeats", "60", "--heartbeat-seconds", "1");
        var stdout = process.StandardOutput.ReadToEndAsync();

        // Once the client follows the feed (it says so on stderr), the province issues a directive
        // to the county: the change the client must see, then sign for.
        var issuedId = "";
        var errors = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                errors.Add(line);
                if (issuedId.Length == 0 && line.Contains("\"event\":\"following\"", StringComparison.Ordinal))
                {
                    issuedId = await IssueDirectiveAsync(hub);
                }
            }

            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            // Timed out, or the test failed meanwhile: leave no client behind.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var text = await stdout;
        output.WriteLine(text);
        output.WriteLine(string.Join(Environment.NewLine, errors));
        Assert.True(process.ExitCode == 0, $"client exited {process.ExitCode}: {text}{string.Join(Environment.NewLine, errors)}");
        Assert.NotEmpty(issuedId);

        using var json = JsonDocument.Parse(text);
        var summary = json.RootElement;
        Assert.True(summary.GetProperty("ok").GetBoolean());

        // (1) The snapshot: every record the hub holds for the scope, and a cursor.
        var snapshot = summary.GetProperty("snapshot");
        Assert.Equal(expected.Records.Count, snapshot.GetProperty("records").GetInt32());
        Assert.Equal(expected.End.RecordCount, snapshot.GetProperty("recordCount").GetInt64());
        Assert.False(string.IsNullOrEmpty(snapshot.GetProperty("cursor").GetString()));

        // (2) The followed change: the receipt of the directive issued meanwhile.
        var followed = summary.GetProperty("follow").GetProperty("directive");
        Assert.Equal(issuedId, followed.GetProperty("directiveId").GetString());
        Assert.Equal($"{issuedId}/{Region}", followed.GetProperty("entityKey").GetString());

        // (3) The acknowledgement, as the client saw it and as the issuer reads it back.
        var ack = summary.GetProperty("acknowledge");
        Assert.Equal("DIRECTIVE_STATE_SIGNED_FOR", ack.GetProperty("state").GetString());
        var receipts = await new DirectiveService.DirectiveServiceClient(hub.Channel).ListDirectiveReceiptsAsync(
            new ListDirectiveReceiptsRequest { DirectiveId = issuedId }, deadline: Calls.Deadline());
        var receipt = Assert.Single(receipts.Receipts);
        Assert.Equal(Region, receipt.RecipientRegionCode);
        Assert.Equal(DirectiveState.SignedFor, receipt.State);
        Assert.Equal("王网格", receipt.SignedForBy);

        // (4) The bad call's status and ErrorInfo, decoded from grpc-status-details-bin.
        var bad = summary.GetProperty("badCall");
        Assert.Equal("INVALID_ARGUMENT", bad.GetProperty("code").GetString());
        Assert.Equal("INVALID_CODE", bad.GetProperty("reason").GetString());
        Assert.Equal("gridexchange.v1", bad.GetProperty("domain").GetString());
    }

    private static async Task<string> IssueDirectiveAsync(HubInstance hub)
    {
        var client = new DirectiveService.DirectiveServiceClient(hub.Channel); // as TestPeers.Province
        var response = await client.IssueDirectiveAsync(new IssueDirectiveRequest
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Directive = new Directive
            {
                Title = "关于开展矛盾纠纷排查化解专项行动的通知",
                Content = "请于规定时间内完成辖区矛盾纠纷排查，并反馈排查台账。",
                IssuerUnit = "测试政法委",
                Supervision = SupervisionKind.Normal,
                TargetRegionCodes = { Region },
                SignForDeadline = Timestamp.FromDateTime(DateTime.UtcNow.AddDays(30)),
                CompletionDeadline = Timestamp.FromDateTime(DateTime.UtcNow.AddDays(60)),
            },
        }, deadline: Calls.Deadline());
        return response.Directive.Meta.Id;
    }

    /// <summary>Installs the client's locked dependencies (<c>npm ci</c>) when they are missing.</summary>
    private async Task EnsureDependenciesAsync()
    {
        if (File.Exists(Path.Combine(InteropDirectory, "node_modules", "@grpc", "grpc-js", "package.json")))
        {
            return;
        }

        using var npm = Start("npm", InteropDirectory, "ci", "--no-audit", "--no-fund");
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await npm.WaitForExitAsync(timeout.Token);
        output.WriteLine(await stdout);
        output.WriteLine(await stderr);
        Assert.True(npm.ExitCode == 0, $"npm ci in {InteropDirectory} exited {npm.ExitCode}: {await stderr}");
    }

    private static Process Start(string program, string directory, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{program}' is not on the PATH: this test needs Node.js and npm (.ci/run installs them; e.g. apt-get install nodejs npm).", e);
        }
    }
}
