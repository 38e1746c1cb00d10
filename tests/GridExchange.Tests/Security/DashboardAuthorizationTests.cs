using System.Text;
using GridExchange.Hub.Security;

namespace GridExchange.Tests.Security;

public sealed class DashboardAuthorizationTests
{
    private static string Basic(string pair) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));

    [Theory]
    [InlineData("Bearer gx1_abc", "Bearer gx1_abc")]
    [InlineData("bearer gx1_abc", "bearer gx1_abc")]
    public void ABearerHeader_IsPassedOn(string header, string expected) =>
        Assert.Equal(expected, DashboardAuthorization.BearerHeader(header));

    [Theory]
    [InlineData("operator:gx1_token", "Bearer gx1_token")]
    [InlineData(":gx1_token", "Bearer gx1_token")]
    [InlineData("user:pa:ss", "Bearer pa:ss")]
    [InlineData("user:", "Bearer ")]
    public void BasicCredentials_GiveThePasswordAsTheToken(string pair, string expected) =>
        Assert.Equal(expected, DashboardAuthorization.BearerHeader(Basic(pair)));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic not base64!")]
    [InlineData("Digest username=\"x\"")]
    [InlineData("gx1_token")]
    public void AnythingElse_IsNoCredential(string? header) => Assert.Null(DashboardAuthorization.BearerHeader(header));

    [Fact]
    public void BasicWithoutAColon_OrOverlong_IsNoCredential()
    {
        Assert.Null(DashboardAuthorization.BearerHeader(Basic("no-colon")));
        Assert.Null(DashboardAuthorization.BearerHeader(Basic("u:" + new string('x', 2_000))));
    }
}
