using System.Text;
using GridExchange.Domain.Codes;
using GridExchange.Domain.Security;
using GridExchange.Storage;
using GridExchange.V1;
using Microsoft.Extensions.Options;

namespace GridExchange.Hub.Startup;

/// <summary>
/// First-start credentials. The operator peer <c>hub-admin</c> (role ADMIN only, so an operator
/// token never reads or writes data) is created with a token written to a file only its owner
/// can read; in development mode every other registered peer without a token file gets one,
/// written to <see cref="HubOptions.DevTokensFile"/> and printed.
/// </summary>
internal sealed partial class CredentialBootstrap(IHubStore store, IOptions<HubOptions> options, ILogger<CredentialBootstrap> logger)
{
    /// <summary>The operator peer's id.</summary>
    public const string AdminPeerId = "hub-admin";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var admin = await store.GetPeerAsync(AdminPeerId, cancellationToken);
        var created = admin is null;
        if (admin is null)
        {
            if (!RegionCode.TryParse(settings.AdminRegionCode, out var region))
            {
                throw new InvalidOperationException($"GridExchange:AdminRegionCode '{settings.AdminRegionCode}' is not a 12-digit region code.");
            }

            admin = new Peer
            {
                Id = AdminPeerId,
                Name = "Hub operator",
                Level = (RegionLevel)(int)region.Level,
                RegionCode = settings.AdminRegionCode,
                Roles = { PeerRole.Admin },
                DataClasses = { DataClass.S1 },
                Enabled = true,
            };
            await store.UpsertPeerAsync(admin, cancellationToken);
        }

        // A hub-admin created before keeps the token its file got then: a lost file needs
        // ResetAdminToken, never a silent second token.
        if (created || settings.ResetAdminToken)
        {
            var token = BearerTokens.NewToken();
            await store.IssueCredentialAsync(AdminPeerId, BearerTokens.Hash(token), revokeOthers: true, cancellationToken);
            SecretFiles.Write(settings.AdminTokenFile, token + "\n");
            LogAdminToken(Path.GetFullPath(settings.AdminTokenFile));
        }

        else if (!File.Exists(settings.AdminTokenFile))
        {
            LogNoAdminTokenFile(Path.GetFullPath(settings.AdminTokenFile));
        }

        if (settings.IsDevMode && !File.Exists(settings.DevTokensFile))
        {
            await IssueDevTokensAsync(settings.DevTokensFile, cancellationToken);
        }
    }

    private async Task IssueDevTokensAsync(string path, CancellationToken cancellationToken)
    {
        var lines = new StringBuilder("# GridExchange development tokens: peer id, bearer token. Send as 'authorization: Bearer <token>'.\n");
        string? after = null;
        while (true)
        {
            var page = await store.ListPeersAsync(after, 100, cancellationToken);
            foreach (var peer in page.Where(p => p.Id != AdminPeerId && p.Enabled))
            {
                var token = BearerTokens.NewToken();
                await store.IssueCredentialAsync(peer.Id, BearerTokens.Hash(token), revokeOthers: false, cancellationToken);
                lines.Append(peer.Id).Append('\t').Append(token).Append('\n');
                LogDevToken(peer.Id, string.Join(",", peer.Roles), token);
            }

            if (page.Count < 100)
            {
                break;
            }

            after = page[^1].Id;
        }

        SecretFiles.Write(path, lines.ToString());
        LogDevTokensFile(Path.GetFullPath(path));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Issued the operator token (peer hub-admin, role ADMIN); it is in {Path}, readable by its owner only. Keep it secret; the hub stores only its hash")]
    private partial void LogAdminToken(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "The operator token file {Path} is absent; start once with GridExchange:ResetAdminToken=true to issue a new operator token")]
    private partial void LogNoAdminTokenFile(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Development mode: token for peer {PeerId} ({Roles}): {Token}")]
    private partial void LogDevToken(string peerId, string roles, string token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Development mode: the sample peers' tokens are in {Path}")]
    private partial void LogDevTokensFile(string path);
}
