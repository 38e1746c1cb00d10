using Google.Protobuf.Reflection;
using GridExchange.Hub.Security;
using GridExchange.V1;

namespace GridExchange.Tests.Security;

public sealed class MethodPolicyTests
{
    private static readonly ServiceDescriptor[] HubServices =
    [
        ExchangeService.Descriptor, RegistryService.Descriptor, PopulationService.Descriptor, CaseService.Descriptor,
        DirectiveService.Descriptor, StatsService.Descriptor, AdminService.Descriptor,
    ];

    [Fact]
    public void EveryRpcTheHubServes_HasAnEntry_AndNothingElseDoes()
    {
        var served = HubServices.SelectMany(s => s.Methods.Select(m => $"/{s.FullName}/{m.Name}")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(served, MethodPolicy.Methods.Order(StringComparer.Ordinal));
        Assert.All(served, m => Assert.True(MethodPolicy.IsProtected(m)));
    }

    [Fact]
    public void AdminRpcs_NeedAdmin_AndAdminOpensNoDataRpc()
    {
        foreach (var method in AdminService.Descriptor.Methods)
        {
            Assert.True(MethodPolicy.TryGetRoles($"/{AdminService.Descriptor.FullName}/{method.Name}", out var roles));
            Assert.Equal([PeerRole.Admin], roles);
        }

        foreach (var method in MethodPolicy.Methods.Where(m => !m.Contains("AdminService", StringComparison.Ordinal)))
        {
            Assert.True(MethodPolicy.TryGetRoles(method, out var roles));
            Assert.DoesNotContain(PeerRole.Admin, roles);
        }
    }

    [Theory]
    [InlineData("/gridexchange.v1.ExchangeService/SubmitChanges", PeerRole.Source)]
    [InlineData("/gridexchange.v1.ExchangeService/PullChanges", PeerRole.Consumer)]
    [InlineData("/gridexchange.v1.DirectiveService/IssueDirective", PeerRole.Issuer)]
    [InlineData("/gridexchange.v1.StatsService/GetRegionStats", PeerRole.Consumer)]
    public void Roles_FollowTheContract(string method, PeerRole role)
    {
        Assert.True(MethodPolicy.TryGetRoles(method, out var roles));
        Assert.Contains(role, roles);
    }

    [Fact]
    public void UnknownMethodsOfThePackage_AreNotAdmitted_AndOthersAreOpen()
    {
        Assert.False(MethodPolicy.TryGetRoles("/gridexchange.v1.ExchangeService/Drop", out _));
        Assert.True(MethodPolicy.IsProtected("/gridexchange.v1.Anything/Else"));
        Assert.False(MethodPolicy.IsProtected("/grpc.health.v1.Health/Check"));
        Assert.False(MethodPolicy.IsProtected("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"));
    }
}
