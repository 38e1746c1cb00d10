using GridExchange.Domain.Security;

namespace GridExchange.Tests.Security;

public sealed class BearerTokensTests
{
    private static readonly byte[] Key = new byte[32];

    [Fact]
    public void NewTokens_AreWellFormed_AndDifferent()
    {
        var a = BearerTokens.NewToken();
        var b = BearerTokens.NewToken();
        Assert.NotEqual(a, b);
        Assert.Equal(BearerTokens.Length, a.Length);
        Assert.StartsWith(BearerTokens.Prefix, a, StringComparison.Ordinal);
        Assert.True(BearerTokens.TryParseAuthorization("Bearer " + a, out var parsed));
        Assert.Equal(a, parsed);
        Assert.True(BearerTokens.TryParseAuthorization("bearer " + a, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer gx1_")]
    [InlineData("Bearer gx2_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Bearer gx1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!")]
    [InlineData("Bearer gx1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Bearer  gx1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Bearer gx1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ")]
    public void MalformedHeaders_AreNotTokens(string? header)
    {
        Assert.False(BearerTokens.TryParseAuthorization(header, out var token));
        Assert.Equal("", token);
    }

    [Fact]
    public void DerivedTokens_DependOnKeyPurposePeerAndRequest_AndRepeat()
    {
        var token = BearerTokens.Derive(Key, "register", "county-370602", "r-1");
        Assert.Equal(token, BearerTokens.Derive(Key, "register", "county-370602", "r-1"));
        Assert.True(BearerTokens.TryParseAuthorization("Bearer " + token, out _));
        var other = new byte[32];
        other[0] = 1;
        Assert.NotEqual(token, BearerTokens.Derive(other, "register", "county-370602", "r-1"));
        Assert.NotEqual(token, BearerTokens.Derive(Key, "rotate", "county-370602", "r-1"));
        Assert.NotEqual(token, BearerTokens.Derive(Key, "register", "county-370611", "r-1"));
        Assert.NotEqual(token, BearerTokens.Derive(Key, "register", "county-370602", "r-2"));
        Assert.Throws<ArgumentException>(() => BearerTokens.Derive(new byte[31], "register", "p", "r"));
    }

    [Fact]
    public void Hash_IsTheSha256OfTheTokenText()
    {
        // Known answer: SHA-256("gx1_abc").
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("gx1_abc"u8)),
            Convert.ToHexStringLower(BearerTokens.Hash("gx1_abc")));
        Assert.Equal(32, BearerTokens.Hash(BearerTokens.NewToken()).Length);
    }
}
