using GridExchange.Domain.Errors;
using GridExchange.Domain.Peers;
using GridExchange.V1;

namespace GridExchange.Tests.Peers;

public sealed class PeerRulesTests
{
    private static Peer Valid() => new()
    {
        Id = "370602-zgw",
        Name = "芝罘区综治中心网格化平台",
        Level = RegionLevel.County,
        RegionCode = "370602000000",
        Endpoint = "https://grid.zhifu.example:8443/grpc",
        Roles = { PeerRole.Source, PeerRole.Sink, PeerRole.Consumer },
        DataClasses = { DataClass.S1, DataClass.S2 },
        Schedule = "*/5 * * * *",
        SyncMode = SyncMode.Scheduled,
        Enabled = true,
        EntityTypes = { EntityType.Person },
        ClientCertificateSha256 = new string('f', 64),
    };

    private static (string Field, string Reason) Single(Peer peer)
    {
        var problem = Assert.Single(PeerRules.Validate(peer));
        Assert.False(string.IsNullOrWhiteSpace(problem.Description));
        return (problem.Field, problem.Reason);
    }

    [Fact]
    public void AValidRegistration_HasNoProblems()
    {
        Assert.Empty(PeerRules.Validate(Valid()));
        var minimal = new Peer { Id = "abc", Name = "x", Level = RegionLevel.Province, RegionCode = "370000000000", Roles = { PeerRole.Admin }, DataClasses = { DataClass.S1 } };
        Assert.Empty(PeerRules.Validate(minimal));
    }

    [Theory]
    [InlineData("", ErrorReasons.RequiredField)]
    [InlineData("ab", ErrorReasons.InvalidLength)]
    [InlineData("a123456789a123456789a123456789a123456789a123456789a123456789a1234", ErrorReasons.InvalidLength)]
    [InlineData("County-1", ErrorReasons.InvalidFormat)]
    [InlineData("county_1", ErrorReasons.InvalidFormat)]
    [InlineData("county 1", ErrorReasons.InvalidFormat)]
    [InlineData("hub", ErrorReasons.InvalidFormat)]
    public void BadIds_AreRefused(string id, string reason)
    {
        Assert.Equal(reason, PeerRules.ValidateId(id).Reason);
        var peer = Valid();
        peer.Id = id;
        Assert.Equal(("peer.id", reason), Single(peer));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("370602-zgw")]
    [InlineData("a123456789a123456789a123456789a123456789a123456789a123456789a123")]
    public void GoodIds_Pass(string id) => Assert.True(PeerRules.ValidateId(id).IsValid);

    [Fact]
    public void RequestIds_AreRequired_Short_AndPlainText()
    {
        Assert.True(PeerRules.ValidateRequestId("r-1 (retry ok)").IsValid);
        Assert.True(PeerRules.ValidateRequestId(new string('r', 64)).IsValid);
        Assert.Equal(ErrorReasons.RequiredField, PeerRules.ValidateRequestId("").Reason);
        Assert.Equal(ErrorReasons.InvalidLength, PeerRules.ValidateRequestId(new string('r', 65)).Reason);
        Assert.Equal(ErrorReasons.InvalidFormat, PeerRules.ValidateRequestId("r\0").Reason);
        Assert.Equal(ErrorReasons.InvalidFormat, PeerRules.ValidateRequestId("r\n1").Reason);
        Assert.Equal(ErrorReasons.InvalidFormat, PeerRules.ValidateRequestId("r\ud800").Reason);
    }

    [Fact]
    public void Names_AreRequired_AtMost100Characters_SingleLine()
    {
        var peer = Valid();
        peer.Name = new string('网', 100);
        Assert.Empty(PeerRules.Validate(peer));
        peer.Name = string.Concat(Enumerable.Repeat("𠀀", 100)); // 100 characters outside the BMP, 200 UTF-16 units
        Assert.Empty(PeerRules.Validate(peer));
        peer.Name = new string('网', 101);
        Assert.Equal(("peer.name", ErrorReasons.InvalidLength), Single(peer));
        peer.Name = "  ";
        Assert.Equal(("peer.name", ErrorReasons.RequiredField), Single(peer));
        peer.Name = "two\nlines";
        Assert.Equal(("peer.name", ErrorReasons.InvalidFormat), Single(peer));
    }

    [Theory]
    [InlineData(RegionLevel.Unspecified, "370602000000", "peer.level", ErrorReasons.RequiredField)]
    [InlineData((RegionLevel)99, "370602000000", "peer.level", ErrorReasons.InvalidFormat)]
    [InlineData(RegionLevel.City, "370602000000", "peer.level", ErrorReasons.InconsistentFields)]
    [InlineData(RegionLevel.Central, "370602000000", "peer.level", ErrorReasons.InconsistentFields)]
    [InlineData(RegionLevel.Grid, "370602001001", "peer.level", ErrorReasons.InconsistentFields)]
    [InlineData(RegionLevel.County, "", "peer.region_code", ErrorReasons.RequiredField)]
    [InlineData(RegionLevel.County, "37060200000", "peer.region_code", ErrorReasons.InvalidCode)]
    [InlineData(RegionLevel.County, "990602000000", "peer.region_code", ErrorReasons.InvalidCode)]
    [InlineData(RegionLevel.County, "370602000000 ", "peer.region_code", ErrorReasons.InvalidCode)]
    public void LevelAndRegion_MustBeWellFormed_AndAgree(RegionLevel level, string region, string field, string reason)
    {
        var peer = Valid();
        peer.Level = level;
        peer.RegionCode = region;
        Assert.Equal((field, reason), Single(peer));
    }

    [Theory]
    [InlineData(RegionLevel.Province, "370000000000")]
    [InlineData(RegionLevel.City, "370600000000")]
    [InlineData(RegionLevel.Township, "370602001000")]
    [InlineData(RegionLevel.Village, "370602001001")]
    public void EveryLevelWithItsCode_Passes(RegionLevel level, string region)
    {
        var peer = Valid();
        peer.Level = level;
        peer.RegionCode = region;
        Assert.Empty(PeerRules.Validate(peer));
    }

    [Theory]
    [InlineData("http://10.1.2.3:5170")]
    [InlineData("https://grid.zhifu.example")]
    [InlineData("https://[::1]:8443/")]
    public void Endpoints_AbsoluteHttpOrHttps_Pass(string endpoint) => Assert.True(PeerRules.ValidateEndpoint(endpoint).IsValid);

    [Theory]
    [InlineData("grid.zhifu.example:8443", ErrorReasons.InvalidFormat)]
    [InlineData("/relative/path", ErrorReasons.InvalidFormat)]
    [InlineData("ftp://grid.zhifu.example", ErrorReasons.InvalidFormat)]
    [InlineData("dns:///grid.zhifu.example:443", ErrorReasons.InvalidFormat)]
    [InlineData("https://user:password@grid.zhifu.example", ErrorReasons.InvalidFormat)]
    [InlineData("https://grid.zhifu.example/?token=x", ErrorReasons.InvalidFormat)]
    [InlineData("https://grid.zhifu.example/#top", ErrorReasons.InvalidFormat)]
    [InlineData("https://grid zhifu.example", ErrorReasons.InvalidFormat)]
    public void Endpoints_OtherwiseAreInvalid(string endpoint, string reason)
    {
        Assert.Equal(reason, PeerRules.ValidateEndpoint(endpoint).Reason);
        var peer = Valid();
        peer.Endpoint = endpoint;
        Assert.Equal(("peer.endpoint", reason), Single(peer));
    }

    [Fact]
    public void Endpoints_AreAtMost200Characters_AndRequiredForASink()
    {
        var peer = Valid();
        peer.Endpoint = "https://grid.zhifu.example/" + new string('p', 174);
        Assert.Equal(("peer.endpoint", ErrorReasons.InvalidLength), Single(peer));

        peer.Endpoint = "";
        Assert.Equal(("peer.endpoint", ErrorReasons.RequiredField), Single(peer));
        peer.Roles.Remove(PeerRole.Sink);
        Assert.Empty(PeerRules.Validate(peer)); // a source that submits itself needs none
    }

    [Fact]
    public void RolesAndDataClasses_AreRequired_Defined_AndListedOnce()
    {
        var peer = Valid();
        peer.Roles.Clear();
        Assert.Equal(("peer.roles", ErrorReasons.RequiredField), Single(peer));
        peer.Roles.Add([PeerRole.Consumer, PeerRole.Unspecified]);
        Assert.Equal(("peer.roles[1]", ErrorReasons.InvalidFormat), Single(peer));
        peer.Roles[1] = (PeerRole)17;
        Assert.Equal(("peer.roles[1]", ErrorReasons.InvalidFormat), Single(peer));
        peer.Roles[1] = PeerRole.Consumer;
        Assert.Equal(("peer.roles[1]", ErrorReasons.InvalidFormat), Single(peer));

        peer = Valid();
        peer.DataClasses.Clear();
        Assert.Equal(("peer.data_classes", ErrorReasons.RequiredField), Single(peer));
        peer.DataClasses.Add([DataClass.S1, DataClass.S4, DataClass.S4]);
        Assert.Equal(("peer.data_classes[2]", ErrorReasons.InvalidFormat), Single(peer));
        peer.DataClasses[2] = DataClass.Unspecified;
        Assert.Equal(("peer.data_classes[2]", ErrorReasons.InvalidFormat), Single(peer));
    }

    [Fact]
    public void EntityTypes_AreOptional_ButDefined_AndListedOnce()
    {
        var peer = Valid();
        peer.EntityTypes.Clear();
        Assert.Empty(PeerRules.Validate(peer));
        peer.EntityTypes.Add([EntityType.Case, EntityType.Unspecified]);
        Assert.Equal(("peer.entity_types[1]", ErrorReasons.UnsupportedEntityType), Single(peer));
        peer.EntityTypes[1] = EntityType.Case;
        Assert.Equal(("peer.entity_types[1]", ErrorReasons.InvalidFormat), Single(peer));
    }

    [Fact]
    public void ScheduleSyncModeAndFingerprint_AreChecked()
    {
        var peer = Valid();
        peer.Schedule = "";
        Assert.Empty(PeerRules.Validate(peer));
        peer.Schedule = "every five minutes";
        Assert.Equal(("peer.schedule", ErrorReasons.InvalidFormat), Single(peer));

        peer = Valid();
        peer.SyncMode = (SyncMode)3;
        Assert.Equal(("peer.sync_mode", ErrorReasons.InvalidFormat), Single(peer));

        peer = Valid();
        peer.ClientCertificateSha256 = new string('F', 64);
        Assert.Empty(PeerRules.Validate(peer));
        foreach (var bad in new[] { new string('f', 63), new string('g', 64), string.Join(':', Enumerable.Repeat("ff", 32)) })
        {
            peer.ClientCertificateSha256 = bad;
            Assert.Equal(("peer.client_certificate_sha256", ErrorReasons.InvalidFormat), Single(peer));
        }
    }

    [Fact]
    public void EveryProblem_IsReported_InFieldOrder()
    {
        var peer = new Peer { Id = "X", RegionCode = "bad", SyncMode = (SyncMode)7, Schedule = "x" };
        Assert.Equal(
            ["peer.id", "peer.name", "peer.level", "peer.region_code", "peer.roles", "peer.data_classes", "peer.schedule", "peer.sync_mode"],
            PeerRules.Validate(peer).Select(p => p.Field));
    }

    [Fact]
    public void Normalize_MakesTheContractsDefaultsExplicit_AndDropsOutputOnlyFields()
    {
        var peer = Valid();
        peer.SyncMode = SyncMode.Unspecified;
        peer.ClientCertificateSha256 = new string('A', 64);
        peer.CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch);
        peer.UpdatedAt = peer.CreatedAt;
        var normal = PeerRules.Normalize(peer);
        Assert.Equal(SyncMode.Scheduled, normal.SyncMode);
        Assert.Equal(new string('a', 64), normal.ClientCertificateSha256);
        Assert.Null(normal.CreatedAt);
        Assert.Null(normal.UpdatedAt);
        Assert.Equal(SyncMode.Unspecified, peer.SyncMode); // the input is left alone
        Assert.Equal(SyncMode.Live, PeerRules.Normalize(new Peer { SyncMode = SyncMode.Live }).SyncMode);
    }
}
