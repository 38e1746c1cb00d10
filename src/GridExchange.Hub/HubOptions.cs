namespace GridExchange.Hub;

/// <summary>
/// The hub's settings, bound from the <c>GridExchange</c> configuration section
/// (appsettings.json, environment variables <c>GridExchange__Port</c> etc., or command-line
/// <c>--GridExchange:Port=…</c>).
/// </summary>
public sealed class HubOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "GridExchange";

    /// <summary>Port for gRPC (HTTP/2); 0 picks a free one.</summary>
    public int Port { get; set; } = 5170;

    /// <summary>The IP address the hub listens on: loopback by default; <c>0.0.0.0</c> or <c>::</c> for every interface.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// The server's TLS certificate: a PFX file (with <see cref="TlsCertificatePassword"/>), or a
    /// PEM certificate with its key in <see cref="TlsKeyPath"/>. Set: HTTP/2 over TLS, and peers
    /// registered with a client-certificate fingerprint must present that certificate.
    /// </summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCertificatePath"/>; empty for a PFX.</summary>
    public string? TlsKeyPath { get; set; }

    /// <summary>The PFX password, if any.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary>
    /// Serve cleartext HTTP/2 on a non-loopback <see cref="ListenAddress"/> — only behind a
    /// TLS-terminating proxy on a trusted network. Without it (and without a certificate) a hub
    /// reachable from the network refuses to start.
    /// </summary>
    public bool AllowInsecureTransport { get; set; }

    /// <summary>
    /// PostgreSQL connection string. Empty selects the embedded SQLite store and in-memory
    /// Hangfire; set selects PostgreSQL for both (migrations applied at start-up).
    /// Also read from <c>ConnectionStrings:GridExchange</c>.
    /// </summary>
    public string? PostgreSql { get; set; }

    /// <summary>The SQLite file of the embedded store, relative to the working directory.</summary>
    public string SqlitePath { get; set; } = Path.Combine("data", "gridexchange.db");

    /// <summary>
    /// Folder of the sample province (a <c>manifest.json</c> and its files). Empty: the
    /// <c>seeds/sample</c> folder of the checkout the hub runs from.
    /// </summary>
    public string? SeedDirectory { get; set; }

    /// <summary>
    /// Load the synthetic sample into an empty store at start-up. Unset means: yes on the
    /// embedded SQLite store, no on PostgreSQL, so a first start against an empty production
    /// database never fills it with made-up residents unless asked to.
    /// </summary>
    public bool? LoadSampleOnFirstStart { get; set; }

    /// <summary>Whether the sample is loaded into an empty store, after applying the default.</summary>
    public bool ShouldLoadSample => LoadSampleOnFirstStart ?? string.IsNullOrWhiteSpace(PostgreSql);

    /// <summary>Start a Hangfire server in this process.</summary>
    public bool RunHangfireServer { get; set; } = true;

    /// <summary>
    /// PostgreSQL only: how often each Hangfire worker polls the queue, in milliseconds (at least
    /// 200), i.e. the longest a job enqueued now (a TriggerSync run) waits to start. Each poll is
    /// one cheap query per worker; Hangfire.PostgreSql's own default is 15 seconds. The in-memory
    /// storage starts jobs at once.
    /// </summary>
    public int HangfireQueuePollMs { get; set; } = 1000;

    /// <summary>
    /// How many days of changes the feed keeps; a consumer whose cursor is older must
    /// re-snapshot (RESYNC_REQUIRED). Applied by the daily <c>log-retention</c> Hangfire job.
    /// </summary>
    public int LogRetentionDays { get; set; } = 30;

    /// <summary>
    /// Read-ahead for paged PullChanges: after serving a page that was not caught up, the hub
    /// reads the next page in the background so the database read overlaps the client's work;
    /// this is the most such pages held at once (the oldest is dropped to make room), each kept
    /// for 2 seconds or until the request it was read for takes it. 0 turns read-ahead off.
    /// Memory: at most this many pages × the bytes of a page as read from the store — about
    /// 1 MB for 1,000 typical person changes (≈ 64 MB at the default), at worst page_size
    /// times the largest record (≈ 50 MB for 1,000 grids with 50 KB boundaries).
    /// </summary>
    public int FeedReadAheadPages { get; set; } = 64;

    /// <summary>
    /// Embedded development mode: HTTP/2 without TLS on loopback, and bearer tokens for the
    /// sample's peers written to <see cref="DevTokensFile"/> (and printed) at first start. Unset
    /// means: on for the embedded SQLite store, off on PostgreSQL.
    /// </summary>
    public bool? DevMode { get; set; }

    /// <summary>Whether the hub runs in development mode, after applying the default.</summary>
    public bool IsDevMode => DevMode ?? string.IsNullOrWhiteSpace(PostgreSql);

    /// <summary>
    /// How long a bearer-token look-up is reused, in seconds: a revoked token or a disabled peer
    /// is refused within this time on every replica. 0 looks every call up.
    /// </summary>
    public int CredentialCacheSeconds { get; set; } = 5;

    /// <summary>
    /// How often each replica writes the peers' last successful calls (<c>PeerStatus.last_call_at</c>)
    /// from memory to the store, in milliseconds (at least 100): GetPeerStatus on any replica
    /// shows a call within about this time. One statement per flush, none per call; a last
    /// flush runs at shutdown.
    /// </summary>
    public int LastCallFlushMs { get; set; } = 5000;

    /// <summary>
    /// Where the operator's token (peer <c>hub-admin</c>, role ADMIN) is written when the hub
    /// creates it on first start, readable by the owner only. The hub keeps only its hash.
    /// </summary>
    public string AdminTokenFile { get; set; } = Path.Combine("data", "admin.token");

    /// <summary>Issue a new operator token at start-up (revoking the old one) and write it to <see cref="AdminTokenFile"/>.</summary>
    public bool ResetAdminToken { get; set; }

    /// <summary>The jurisdiction of the <c>hub-admin</c> peer created on first start (12 digits).</summary>
    public string AdminRegionCode { get; set; } = "370000000000";

    /// <summary>Development mode only: where the sample peers' tokens are written at first start.</summary>
    public string DevTokensFile { get; set; } = Path.Combine("data", "dev-tokens.txt");

    /// <summary>
    /// Per-peer call rate: the calls a peer may make per second on average (a token bucket per
    /// peer, refilled continuously; every call and every stream opened takes one token). Over
    /// the limit a call fails with RESOURCE_EXHAUSTED, RATE_LIMITED and a RetryInfo. 0 turns the
    /// limit off.
    /// </summary>
    public int RateLimitPerSecond { get; set; } = 200;

    /// <summary>The bucket's size: how many calls a peer may make at once after being idle.</summary>
    public int RateLimitBurst { get; set; } = 1000;

    /// <summary>
    /// The most <c>SubscribeChanges</c> and <c>ExportSnapshot</c> streams one peer may hold open
    /// at once; one more fails with RESOURCE_EXHAUSTED, RATE_LIMITED. 0 turns the limit off.
    /// </summary>
    public int MaxStreamsPerPeer { get; set; } = 32;

    /// <summary>
    /// Refuse unary calls and <c>ExportSnapshot</c> without a gRPC deadline (<c>grpc-timeout</c>)
    /// with INVALID_ARGUMENT, DEADLINE_REQUIRED. <c>SubscribeChanges</c> never needs one. Unset
    /// means: off in development mode, on otherwise.
    /// </summary>
    public bool? RequireDeadlines { get; set; }

    /// <summary>Whether calls need deadlines, after applying the default.</summary>
    public bool ShouldRequireDeadlines => RequireDeadlines ?? !IsDevMode;

    /// <summary>
    /// Loopback port of the Hangfire dashboard (HTTP/1.1, at <c>/hangfire</c>; only for a caller
    /// presenting an ADMIN peer's token); 0 picks a free one, a negative value turns it off.
    /// </summary>
    public int DashboardPort { get; set; } = 5171;

    /// <summary>The sync engine: pulls from SOURCE peers, pushes to SINK peers (<see cref="Sync.SyncOptions"/>).</summary>
    public Sync.SyncOptions Sync { get; set; } = new();

    /// <summary>Case deadlines (working days) and the proxy-service catalogue: the <c>GridExchange:Cases</c> section.</summary>
    public CaseOptions Cases { get; set; } = new();
}

/// <summary>
/// Settings of CaseService: the case deadlines (DOMAIN §3.1; one real platform's defaults) and
/// the working-day calendar they count in, and where the proxy-service catalogue comes from.
/// </summary>
public sealed class CaseOptions
{
    /// <summary>Working days to accept a reported or escalated case before a yellow card (黄牌).</summary>
    public int AcceptYellowWorkingDays { get; set; } = 1;

    /// <summary>Working days to accept before a red card (红牌).</summary>
    public int AcceptRedWorkingDays { get; set; } = 2;

    /// <summary>Working days from acceptance to resolution before a yellow card.</summary>
    public int HandleYellowWorkingDays { get; set; } = 5;

    /// <summary>Working days from acceptance to resolution before a red card.</summary>
    public int HandleRedWorkingDays { get; set; } = 10;

    /// <summary>Public holidays on weekdays (Beijing dates, <c>yyyy-MM-dd</c>): not working days.</summary>
    public List<string> Holidays { get; set; } = [];

    /// <summary>Weekend days worked in exchange for holidays (调休, <c>yyyy-MM-dd</c>): working days.</summary>
    public List<string> WorkingWeekendDays { get; set; } = [];

    /// <summary>
    /// A JSON file with the proxy-service item catalogue (format: <c>src/GridExchange.Hub/Cases/service-catalogue.json</c>);
    /// empty: that built-in sample of 7 categories.
    /// </summary>
    public string? ServiceCatalogueFile { get; set; }
}
