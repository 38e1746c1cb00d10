using System.Security.Cryptography;
using GridExchange.Storage.Protection;

namespace GridExchange.Tests.Storage;

/// <summary>
/// The EVP-backed cipher must be byte-for-byte AES-256-GCM as <see cref="AesGcm"/> computes it:
/// payloads written before it existed, or on a machine without libcrypto 3, must still open.
/// </summary>
public sealed class OpenSslAesGcmTests
{
    private static readonly int[] Lengths = [0, 1, 15, 16, 17, 255, 700, 4096];

    [Fact]
    public void IsAvailable_OnTheLinuxMachinesWeRunOn()
    {
        // CI runs on Debian 12 with OpenSSL 3: if this fails the hub silently runs ~3x slower
        // crypto (it falls back to AesGcm), which the benchmarks would show but no test would.
        if (OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"))
        {
            Assert.True(OpenSslAesGcm.IsAvailable);
        }
        else
        {
            Assert.Equal(OpenSslAesGcm.IsAvailable, OpenSslAesGcm.TryCreate(new byte[32]) is not null);
        }
    }

    [Fact]
    public void Encrypt_ProducesTheSameBytesAsAesGcm_AndEachOpensTheOther()
    {
        var random = new Random(20261129);
        foreach (var length in Lengths)
        {
            foreach (var adLength in new[] { 0, 13, 64 })
            {
                var key = Bytes(random, 32);
                var native = OpenSslAesGcm.TryCreate(key);
                if (native is null)
                {
                    Assert.False(OpenSslAesGcm.IsAvailable);
                    return;
                }

                using var reference = new AesGcm(key, 16);
                var nonce = Bytes(random, 12);
                var plaintext = Bytes(random, length);
                var ad = Bytes(random, adLength);

                var expected = new byte[length];
                var expectedTag = new byte[16];
                reference.Encrypt(nonce, plaintext, expected, expectedTag, ad);

                var actual = new byte[length];
                var actualTag = new byte[16];
                native.Encrypt(nonce, plaintext, actual, actualTag, ad);
                Assert.Equal(expected, actual);
                Assert.Equal(expectedTag, actualTag);

                var opened = new byte[length];
                Assert.True(native.TryDecrypt(nonce, expected, expectedTag, opened, ad));
                Assert.Equal(plaintext, opened);
                var back = new byte[length];
                reference.Decrypt(nonce, actual, actualTag, back, ad);
                Assert.Equal(plaintext, back);
            }
        }
    }

    [Fact]
    public void Encrypt_InPlace_MatchesACopy()
    {
        if (Sealed(0) is not var (native, nonce, plaintext, ciphertext, tag, ad))
        {
            return;
        }

        var inPlace = plaintext.ToArray();
        var tagInPlace = new byte[16];
        native.Encrypt(nonce, inPlace, inPlace, tagInPlace, ad);
        Assert.Equal(ciphertext, inPlace);
        Assert.Equal(tag, tagInPlace);
    }

    [Fact]
    public void TryDecrypt_AnyChangedByte_FailsAndLeavesNoPlaintext()
    {
        if (Sealed(20) is not var (native, nonce, _, ciphertext, tag, ad))
        {
            return;
        }

        foreach (var spoil in new Action[]
        {
            () => ciphertext[10] ^= 1, () => tag[3] ^= 0x80, () => ad[0] ^= 1, () => nonce[11] ^= 1,
        })
        {
            spoil();
            var opened = new byte[ciphertext.Length];
            Assert.False(native.TryDecrypt(nonce, ciphertext, tag, opened, ad));
            Assert.All(opened, b => Assert.Equal(0, b));
            spoil();
            Assert.True(native.TryDecrypt(nonce, ciphertext, tag, opened, ad));
        }

        // Another key never opens it.
        var other = OpenSslAesGcm.TryCreate(RandomNumberGenerator.GetBytes(32))!;
        Assert.False(other.TryDecrypt(nonce, ciphertext, tag, new byte[ciphertext.Length], ad));
    }

    /// <summary>A random 700-byte record sealed under a random key; null (checked against <see cref="OpenSslAesGcm.IsAvailable"/>) without OpenSSL.</summary>
    private static (OpenSslAesGcm Native, byte[] Nonce, byte[] Plaintext, byte[] Ciphertext, byte[] Tag, byte[] Ad)? Sealed(int adLength)
    {
        var native = OpenSslAesGcm.TryCreate(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(OpenSslAesGcm.IsAvailable, native is not null);
        if (native is null)
        {
            return null;
        }

        var nonce = RandomNumberGenerator.GetBytes(12);
        var plaintext = RandomNumberGenerator.GetBytes(700);
        var ad = RandomNumberGenerator.GetBytes(adLength);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        native.Encrypt(nonce, plaintext, ciphertext, tag, ad);
        return (native, nonce, plaintext, ciphertext, tag, ad);
    }

    [Fact]
    public async Task ConcurrentCalls_EachGetTheirOwnContext()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var native = OpenSslAesGcm.TryCreate(key);
        Assert.Equal(OpenSslAesGcm.IsAvailable, native is not null);
        if (native is null)
        {
            return;
        }

        using var reference = new AesGcm(key, 16);
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 2000; i++)
            {
                var nonce = Bytes(random, 12);
                var plaintext = Bytes(random, random.Next(0, 900));
                var ciphertext = new byte[plaintext.Length];
                var tag = new byte[16];
                native.Encrypt(nonce, plaintext, ciphertext, tag, BitConverter.GetBytes(i));
                var opened = new byte[plaintext.Length];
                if (!native.TryDecrypt(nonce, ciphertext, tag, opened, BitConverter.GetBytes(i)) || !opened.AsSpan().SequenceEqual(plaintext))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        Assert.Equal(0, failures);
    }

    [Fact]
    public void WrongSizes_AreRefused()
    {
        var native = OpenSslAesGcm.TryCreate(new byte[32]);
        Assert.Throws<ArgumentException>(() => OpenSslAesGcm.TryCreate(new byte[16]));
        if (native is null)
        {
            return;
        }

        Assert.Throws<ArgumentException>(() => native.Encrypt(new byte[8], new byte[4], new byte[4], new byte[16], []));
        Assert.Throws<ArgumentException>(() => native.Encrypt(new byte[12], new byte[4], new byte[3], new byte[16], []));
        Assert.Throws<ArgumentException>(() => native.TryDecrypt(new byte[12], new byte[4], new byte[12], new byte[4], []));
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
