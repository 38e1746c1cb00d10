using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace GridExchange.Storage.Protection;

/// <summary>
/// AES-256-GCM through OpenSSL's EVP interface, with the key set up once per cipher context and
/// only the nonce set per record.
/// </summary>
/// <remarks>
/// <para>
/// Why not <see cref="AesGcm"/> alone: on Linux it calls OpenSSL 3 too, but re-initialises the
/// context with the key on every call, and OpenSSL 3's initialisation is expensive. Measured on
/// our 2-core machines (AES-NI, OpenSSL 3.0): <see cref="AesGcm.Decrypt(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte})"/>
/// 4.1 µs for a 700-byte record, of which almost all is the fixed per-call cost; this class
/// 1.2 µs. Every stored record is encrypted on ingest and decrypted on every read, so that is
/// 3 ms of CPU per 1,000-record page or batch.
/// </para>
/// <para>
/// Same algorithm, same parameters (96-bit nonce, 128-bit tag), same bytes: payloads written by
/// either implementation open with the other (a unit test holds them to that). Where
/// <c>libcrypto.so.3</c> cannot be loaded (not Linux, another OpenSSL), <see cref="TryCreate"/>
/// returns null and <see cref="PayloadProtection"/> uses <see cref="AesGcm"/>.
/// </para>
/// <para>
/// A cipher context is not safe for concurrent use: each call rents one from a pool (separate
/// pools for sealing and opening, since a context is initialised for one direction).
/// </para>
/// </remarks>
internal sealed unsafe class OpenSslAesGcm
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int PoolLimit = 64;

    // EVP_CIPHER_CTX_ctrl commands (openssl/evp.h).
    private const int CtrlGcmGetTag = 0x10;
    private const int CtrlGcmSetTag = 0x11;

    private static readonly Api? Native = Api.TryLoad();

    private readonly byte[] _key;
    private readonly BoundedPool<CipherContext> _sealers = new(PoolLimit);
    private readonly BoundedPool<CipherContext> _openers = new(PoolLimit);

    private OpenSslAesGcm(byte[] key) => _key = key;

    /// <summary>Whether OpenSSL's libcrypto 3 was found and has every function used.</summary>
    public static bool IsAvailable => Native is not null;

    /// <summary>The cipher for a 32-byte key, or null when OpenSSL is not available here.</summary>
    public static OpenSslAesGcm? TryCreate(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != 32)
        {
            throw new ArgumentException("AES-256 needs a 32-byte key.", nameof(key));
        }

        return Native is null ? null : new OpenSslAesGcm(key);
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (may be the same memory) and writes the tag.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        CheckSizes(nonce, plaintext.Length, ciphertext.Length, tag);
        var api = Native!;
        var context = Rent(_sealers, encrypt: true);
        try
        {
            var ctx = context.Pointer;
            fixed (byte* iv = nonce)
            fixed (byte* ad = associatedData)
            fixed (byte* input = plaintext)
            fixed (byte* output = ciphertext)
            fixed (byte* t = tag)
            {
                var total = Update(api, ctx, iv, encrypt: 1, ad, associatedData.Length, input, output, plaintext.Length);
                int written;
                Check(api.CipherFinal(ctx, output + total, &written));
                Check(api.CipherCtrl(ctx, CtrlGcmGetTag, TagSize, t));
            }
        }
        finally
        {
            Return(_sealers, context);
        }
    }

    /// <summary>Decrypts and authenticates; false when the tag does not match (nothing in <paramref name="plaintext"/> may then be used).</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        CheckSizes(nonce, ciphertext.Length, plaintext.Length, tag);
        var api = Native!;
        var context = Rent(_openers, encrypt: false);
        try
        {
            var ctx = context.Pointer;
            fixed (byte* iv = nonce)
            fixed (byte* ad = associatedData)
            fixed (byte* input = ciphertext)
            fixed (byte* output = plaintext)
            fixed (byte* t = tag)
            {
                var total = Update(api, ctx, iv, encrypt: 0, ad, associatedData.Length, input, output, ciphertext.Length);
                int written;
                Check(api.CipherCtrl(ctx, CtrlGcmSetTag, TagSize, t));

                // The tag is checked here: anything but 1 is a failed authentication.
                if (api.CipherFinal(ctx, output + total, &written) == 1)
                {
                    return true;
                }
            }
        }
        finally
        {
            Return(_openers, context);
        }

        plaintext.Clear();
        return false;
    }

    /// <summary>Sets the nonce, feeds the associated data and the input; returns the bytes written to <paramref name="output"/>.</summary>
    private static int Update(Api api, nint ctx, byte* iv, int encrypt, byte* ad, int adLength, byte* input, byte* output, int length)
    {
        int written;
        Check(api.CipherInit(ctx, 0, 0, null, iv, encrypt));
        if (adLength > 0)
        {
            // A null output pointer makes this update associated data.
            Check(api.CipherUpdate(ctx, null, &written, ad, adLength));
        }

        if (length == 0)
        {
            return 0;
        }

        Check(api.CipherUpdate(ctx, output, &written, input, length));
        return written;
    }

    private static void CheckSizes(ReadOnlySpan<byte> nonce, int inputLength, int outputLength, ReadOnlySpan<byte> tag)
    {
        if (nonce.Length != NonceSize || tag.Length != TagSize || outputLength != inputLength)
        {
            throw new ArgumentException($"AES-GCM here takes a {NonceSize}-byte nonce, a {TagSize}-byte tag and an output as long as the input.");
        }
    }

    private static void Check(int result)
    {
        if (result != 1)
        {
            throw new CryptographicException("An OpenSSL EVP call failed.");
        }
    }

    private CipherContext Rent(BoundedPool<CipherContext> pool, bool encrypt)
    {
        if (pool.TryRent() is { } pooled)
        {
            return pooled;
        }

        var api = Native!;
        var context = new CipherContext(api);
        fixed (byte* key = _key)
        {
            // Cipher and key once; the nonce length is GCM's default of 12 bytes.
            Check(api.CipherInit(context.Pointer, api.Aes256Gcm(), 0, key, null, encrypt ? 1 : 0));
        }

        return context;
    }

    private static void Return(BoundedPool<CipherContext> pool, CipherContext context) => pool.Return(context);

    /// <summary>An EVP_CIPHER_CTX, freed (which also wipes the key schedule) when collected or disposed.</summary>
    private sealed class CipherContext : SafeHandle
    {
        private readonly Api _api;

        public CipherContext(Api api)
            : base(0, ownsHandle: true)
        {
            _api = api;
            SetHandle(api.NewContext());
            if (handle == 0)
            {
                throw new OutOfMemoryException("EVP_CIPHER_CTX_new failed.");
            }
        }

        public nint Pointer => handle;

        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            _api.FreeContext(handle);
            return true;
        }
    }

    /// <summary>The libcrypto functions used, resolved once; null when any is missing.</summary>
    private sealed class Api
    {
        public delegate* unmanaged<nint> NewContext;
        public delegate* unmanaged<nint, void> FreeContext;
        public delegate* unmanaged<nint> Aes256Gcm;
        public delegate* unmanaged<nint, nint, nint, byte*, byte*, int, int> CipherInit;
        public delegate* unmanaged<nint, byte*, int*, byte*, int, int> CipherUpdate;
        public delegate* unmanaged<nint, byte*, int*, int> CipherFinal;
        public delegate* unmanaged<nint, int, int, void*, int> CipherCtrl;

        public static Api? TryLoad()
        {
            if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libcrypto.so.3", out var library))
            {
                return null;
            }

            nint Export(string name) => NativeLibrary.TryGetExport(library, name, out var address) ? address : 0;
            var exports = new[]
            {
                Export("EVP_CIPHER_CTX_new"), Export("EVP_CIPHER_CTX_free"), Export("EVP_aes_256_gcm"),
                Export("EVP_CipherInit_ex"), Export("EVP_CipherUpdate"), Export("EVP_CipherFinal_ex"), Export("EVP_CIPHER_CTX_ctrl"),
            };
            if (exports.Any(e => e == 0))
            {
                return null;
            }

            return new Api
            {
                NewContext = (delegate* unmanaged<nint>)exports[0],
                FreeContext = (delegate* unmanaged<nint, void>)exports[1],
                Aes256Gcm = (delegate* unmanaged<nint>)exports[2],
                CipherInit = (delegate* unmanaged<nint, nint, nint, byte*, byte*, int, int>)exports[3],
                CipherUpdate = (delegate* unmanaged<nint, byte*, int*, byte*, int, int>)exports[4],
                CipherFinal = (delegate* unmanaged<nint, byte*, int*, int>)exports[5],
                CipherCtrl = (delegate* unmanaged<nint, int, int, void*, int>)exports[6],
            };
        }
    }
}
