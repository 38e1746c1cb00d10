using GridExchange.Domain.Errors;
using GridExchange.Domain.Peers;
using GridExchange.V1;

namespace GridExchange.Tests.Peers;

public sealed class PeerUpdateTests
{
    private static Peer Stored() => new()
    {
        Id = "county-370602",
        Name = "Zhifu",
        Level = RegionLevel.County,
        RegionCode = "370602000000",
        Roles = { PeerRole.Source, PeerRole.Consumer },
        DataClasses = { DataClass.S1, DataClass.S2, DataClass.S3 },
        EntityTypes = { EntityType.Person },
        Enabled = true,
        Schedule = "0 * * * *",
    };

    [Theory]
    [InlineData(new string[0], ErrorReasons.RequiredField)]
    [InlineData(new[] { "id" }, ErrorReasons.InvalidFormat)]
    [InlineData(new[] { "created_at" }, ErrorReasons.InvalidFormat)]
    [InlineData(new[] { "updated_at" }, ErrorReasons.InvalidFormat)]
    [InlineData(new[] { "enabled", "nickname" }, ErrorReasons.InvalidFormat)]
    [InlineData(new[] { "peer.enabled" }, ErrorReasons.InvalidFormat)]
    [InlineData(new[] { "Enabled" }, ErrorReasons.InvalidFormat)]
    [InlineData(new[] { "roles.0" }, ErrorReasons.InvalidFormat)]
    public void CheckMask_RefusesEmptyImmutableAndUnknownPaths(string[] paths, string reason)
    {
        var problem = PeerUpdate.CheckMask(paths);
        Assert.NotNull(problem);
        Assert.Equal("update_mask", problem.Field);
        Assert.Equal(reason, problem.Reason);
    }

    [Fact]
    public void CheckMask_AcceptsEveryMutableField()
    {
        Assert.Null(PeerUpdate.CheckMask([.. PeerUpdate.MutablePaths]));
        Assert.Null(PeerUpdate.CheckMask(["enabled", "enabled"]));
        // Every field of Peer is either mutable or immutable: a field added to the contract must be placed.
        var fields = Peer.Descriptor.Fields.InFieldNumberOrder().Select(f => f.Name).ToHashSet();
        Assert.True(fields.SetEquals(PeerUpdate.MutablePaths.Concat(PeerUpdate.ImmutablePaths)));
    }

    [Fact]
    public void Apply_CopiesOnlyTheNamedFields_ReplacingListsWhole()
    {
        var patch = new Peer
        {
            Id = "county-370602", Name = "renamed", Enabled = false, Roles = { PeerRole.Consumer }, EntityTypes = { },
            RegionCode = "ignored", Schedule = "ignored",
        };
        var updated = PeerUpdate.Apply(Stored(), patch, ["name", "enabled", "roles", "entity_types"]);
        var expected = Stored();
        expected.Name = "renamed";
        expected.Enabled = false;
        expected.Roles.Clear();
        expected.Roles.Add(PeerRole.Consumer);
        expected.EntityTypes.Clear();
        Assert.Equal(expected, updated);
        Assert.Equal(Stored(), PeerUpdate.Apply(Stored(), new Peer(), []));
    }

    [Fact]
    public void NewProblems_AreOnlyThoseTheUpdateBringsIn()
    {
        // Stored before the rules (no data classes): disabling it must still work.
        var legacy = Stored();
        legacy.DataClasses.Clear();
        var disabled = PeerUpdate.Apply(legacy, new Peer { Enabled = false }, ["enabled"]);
        Assert.Empty(PeerUpdate.NewProblems(legacy, disabled));

        var broken = PeerUpdate.Apply(legacy, new Peer { RegionCode = "370602" }, ["region_code"]);
        var problem = Assert.Single(PeerUpdate.NewProblems(legacy, broken));
        Assert.Equal(("peer.region_code", ErrorReasons.InvalidCode), (problem.Field, problem.Reason));

        var inconsistent = PeerUpdate.Apply(Stored(), new Peer { RegionCode = "370600000000" }, ["region_code"]);
        problem = Assert.Single(PeerUpdate.NewProblems(Stored(), inconsistent));
        Assert.Equal(("peer.level", ErrorReasons.InconsistentFields), (problem.Field, problem.Reason));
    }

    [Fact]
    public void SelfLockout_KeepsAnOperatorFromDisablingItselfOrDroppingAdmin()
    {
        var admin = new Peer { Id = "hub-admin", Roles = { PeerRole.Admin }, Enabled = true };
        Assert.Null(PeerUpdate.SelfLockout("hub-admin", admin));

        var disabled = admin.Clone();
        disabled.Enabled = false;
        Assert.Contains("disable", PeerUpdate.SelfLockout("hub-admin", disabled), StringComparison.Ordinal);

        var demoted = admin.Clone();
        demoted.Roles.Clear();
        demoted.Roles.Add(PeerRole.Consumer);
        Assert.Contains("ADMIN", PeerUpdate.SelfLockout("hub-admin", demoted), StringComparison.Ordinal);

        // Another operator may do either.
        Assert.Null(PeerUpdate.SelfLockout("ops-2", disabled));
        Assert.Null(PeerUpdate.SelfLockout("ops-2", demoted));
    }
}
