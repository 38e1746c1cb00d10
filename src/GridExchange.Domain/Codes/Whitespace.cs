using System.Buffers;

namespace GridExchange.Domain.Codes;

/// <summary>
/// The whitespace rejected inside codes, including the full-width space U+3000 that Chinese
/// input methods produce and the zero-width characters that survive copy-and-paste.
/// </summary>
internal static class Whitespace
{
    public static readonly SearchValues<char> Chars = SearchValues.Create(
        " \t\n\v\f\r\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u2028\u2029\u202F\u205F\u3000\uFEFF");
}
