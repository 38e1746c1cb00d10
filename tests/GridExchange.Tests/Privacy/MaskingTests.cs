using GridExchange.Domain.Privacy;

namespace GridExchange.Tests.Privacy;

public class MaskingTests
{
    [Theory]
    [InlineData("370602198001011234", "370602********1234")]
    [InlineData("34052419800101001X", "340524********001X")]
    [InlineData("370602800101123", "37060********23")] // legacy 15-digit: at most half shown
    [InlineData("E12345678", "E12*****8")] // passport
    [InlineData("123456", "12***6")]
    [InlineData("12", "**")]
    [InlineData("1", "*")]
    [InlineData("", "")]
    [InlineData(null, null)]
    public void MaskCitizenId_Value_KeepsHeadAndTail(string? value, string? expected)
    {
        Assert.Equal(expected, Masking.MaskCitizenId(value));
    }

    [Fact]
    public void MaskCitizenId_AnyLengthButEighteen_RevealsAtMostHalfAndKeepsLength()
    {
        for (var length = 1; length <= 40; length++)
        {
            if (length == 18)
            {
                continue;
            }

            var value = new string('7', length);
            var masked = Masking.MaskCitizenId(value);

            Assert.Equal(length, masked.Length);
            Assert.True(masked.Count(c => c != '*') <= length / 2, $"length {length}: {masked}");
        }
    }

    [Theory]
    [InlineData("张三", "张*")]
    [InlineData("欧阳娜娜", "欧***")]
    [InlineData("李", "*")]
    [InlineData("阿依古丽·买买提", "阿*******")]
    [InlineData("\U0002020C三", "\U0002020C*")] // 𠈌 is a surrogate pair: never split
    [InlineData("\U0002020C", "*")]
    [InlineData("", "")]
    [InlineData(null, null)]
    public void MaskName_Value_KeepsOnlyTheFirstCharacter(string? value, string? expected)
    {
        Assert.Equal(expected, Masking.MaskName(value));
    }

    [Theory]
    [InlineData("13812345678", "138****5678")]
    [InlineData("0535-6123456", "0535-***3456")]
    [InlineData("05356123456", "0535***3456")]
    [InlineData("0535-61234567", "0535-****4567")]
    [InlineData("010-12345678", "010-****5678")]
    [InlineData("01012345678", "010****5678")]
    [InlineData("020-87654321", "020-****4321")]
    [InlineData("+8613812345678", "+861********78")] // unrecognised format: at most half
    [InlineData("110", "1**")]
    [InlineData("", "")]
    [InlineData(null, null)]
    public void MaskPhone_Value_KeepsPrefixAndLastFour(string? value, string? expected)
    {
        Assert.Equal(expected, Masking.MaskPhone(value));
    }

    [Theory]
    [InlineData("山东省烟台市芝罘区幸福街道12号", "山东省烟台市****")]
    [InlineData("山东省烟台市芝罘区", "山东省烟****")] // 9 characters: half kept
    [InlineData("幸福路12号", "幸福路****")]
    [InlineData("芝罘区", "芝****")]
    [InlineData("A", "****")]
    [InlineData("\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C",
        "\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C\U0002020C****")]
    [InlineData("", "")]
    [InlineData(null, null)]
    public void MaskAddress_Value_KeepsAtMostSixCharacters(string? value, string? expected)
    {
        Assert.Equal(expected, Masking.MaskAddress(value));
    }
}
