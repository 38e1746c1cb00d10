using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using GridExchange.V1;

namespace GridExchange.Storage.Protection;

/// <summary>
/// Encryption of stored entity payloads and the keyed hash of the citizen-ID index.
/// </summary>
/// <remarks>
/// <para>A protected payload is an envelope:</para>
/// <code>
/// 0x00 | version 0x01 | n | key id (n ASCII bytes) | nonce (12) | ciphertext (as long as the message) | tag (16)
/// </code>
/// <para>
/// AES-256-GCM with a random nonce. The associated data is the envelope's header (marker,
/// version, key id) followed by the row it belongs to (<see cref="PayloadBinding"/>: change-log
/// sequence big-endian int64, entity type big-endian int16, entity key UTF-8), so a ciphertext
/// copied into another row, or an older version of the same record copied over a newer one,
/// fails authentication. A protobuf message never starts with 0x00 (field number 0 does not
/// exist), so rows written before encryption are recognised and served as they are.
/// </para>
/// <para>
/// Failures are loud: an unknown key id, an unknown version, a truncated envelope or a failed
/// authentication throw <see cref="PayloadProtectionException"/>; nothing is ever returned that
/// did not authenticate.
/// </para>
/// <para>
/// A random 96-bit nonce bounds one key to about 2^32 encryptions (NIST SP 800-38D); rotate the
/// payload key well before that many changes have been written under it.
/// </para>
/// </remarks>
public sealed class PayloadProtection
{
    /// <summary>The first byte of every envelope.</summary>
    public const byte Marker = 0x00;

    /// <summary>The envelope format written.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Key length in bytes (AES-256, HMAC-SHA256).</summary>
    public const int KeySize = 32;

    /// <summary>Most characters in a key id.</summary>
    public const int MaxKeyIdLength = 32;

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int BindingFixedSize = sizeof(long) + sizeof(short);

    private static readonly byte[] IndexKeyCheckLabel = Encoding.ASCII.GetBytes("GridExchange citizen-ID index key check v1");

    private readonly PayloadKey[] _keys;
    private readonly PayloadKey _active;
    private readonly byte[] _indexKey;

    private PayloadProtection(PayloadKey[] keys, PayloadKey active, byte[] indexKey, bool rebuildIndex)
    {
        _keys = keys;
        _active = active;
        _indexKey = indexKey;
        RebuildCitizenIdIndex = rebuildIndex;
        IndexKeyCheck = HMACSHA256.HashData(indexKey, IndexKeyCheckLabel);
    }

    /// <summary>The id of the key new payloads are encrypted with.</summary>
    public string ActiveKeyId => _active.Id;

    /// <summary>The ids of every configured payload key.</summary>
    public IReadOnlyList<string> KeyIds => [.. _keys.Select(k => k.Id)];

    /// <summary>
    /// HMAC-SHA256 of a fixed label under the index key: stored with the index, so a hub whose
    /// index key differs from the one the index was built with refuses to read or extend it.
    /// It does not reveal the key.
    /// </summary>
    public byte[] IndexKeyCheck { get; }

    /// <summary>Whether a start may rebuild an index built with another index key (<see cref="PayloadProtectionOptions.RebuildCitizenIdIndex"/>).</summary>
    public bool RebuildCitizenIdIndex { get; }

    /// <summary>The envelope header (marker, version, key id) payloads under the active key start with.</summary>
    internal byte[] ActiveHeader => _active.Header;

    /// <summary>Validates <paramref name="options"/> and builds the keys; every problem is named with its setting.</summary>
    /// <exception cref="InvalidOperationException">A key or id is missing or malformed.</exception>
    public static PayloadProtection Create(PayloadProtectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var section = PayloadProtectionOptions.Section;
        if (options.Keys.Count == 0)
        {
            throw new InvalidOperationException($"{section}:Keys is empty: configure at least one payload key ({section}:Keys:<id> = base64 of 32 random bytes).");
        }

        var keys = new List<PayloadKey>();
        foreach (var (id, value) in options.Keys.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            if (!IsValidKeyId(id))
            {
                throw new InvalidOperationException(
                    $"{section}:Keys:{id}: a key id has 1 to {MaxKeyIdLength} characters A-Z, a-z, 0-9, '.', '_' or '-'.");
            }

            keys.Add(new PayloadKey(id, DecodeKey($"{section}:Keys:{id}", value)));
        }

        if (string.IsNullOrEmpty(options.ActiveKeyId))
        {
            throw new InvalidOperationException($"{section}:ActiveKeyId is not set: name the key of {section}:Keys that encrypts new data.");
        }

        var active = keys.FirstOrDefault(k => k.Id == options.ActiveKeyId)
            ?? throw new InvalidOperationException(
                $"{section}:ActiveKeyId '{options.ActiveKeyId}' is not one of {section}:Keys ({string.Join(", ", keys.Select(k => k.Id))}).");

        if (string.IsNullOrEmpty(options.IndexKey))
        {
            throw new InvalidOperationException($"{section}:IndexKey is not set: the citizen-ID index needs its own key (base64 of 32 random bytes).");
        }

        var indexKey = DecodeKey($"{section}:IndexKey", options.IndexKey);
        if (keys.Any(k => CryptographicOperations.FixedTimeEquals(k.Key, indexKey)))
        {
            throw new InvalidOperationException($"{section}:IndexKey equals a payload key: use a separate random key for the index.");
        }

        return new PayloadProtection([.. keys], active, indexKey, options.RebuildCitizenIdIndex);
    }

    /// <summary>Whether <paramref name="stored"/> is an envelope (as opposed to a payload stored before encryption).</summary>
    public static bool IsProtected(ReadOnlySpan<byte> stored) => stored.Length > 0 && stored[0] == Marker;

    /// <summary>The key id of an envelope, or null for a payload stored in clear.</summary>
    /// <exception cref="PayloadProtectionException">The envelope is damaged.</exception>
    public static string? KeyIdOf(ReadOnlySpan<byte> stored)
    {
        if (!IsProtected(stored))
        {
            return null;
        }

        var headerLength = ReadHeader(stored, default);
        return Encoding.ASCII.GetString(stored[3..headerLength]);
    }

    /// <summary>Serialises <paramref name="message"/> and encrypts it under the active key for the row <paramref name="binding"/>.</summary>
    public byte[] Protect(IMessage message, in PayloadBinding binding)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        var envelope = NewEnvelope(size);
        message.WriteTo(Body(envelope, size));
        Seal(envelope, size, binding);
        return envelope;
    }

    /// <summary>Encrypts serialised message bytes under the active key for the row <paramref name="binding"/>.</summary>
    public byte[] Protect(ReadOnlySpan<byte> plaintext, in PayloadBinding binding)
    {
        var envelope = NewEnvelope(plaintext.Length);
        plaintext.CopyTo(Body(envelope, plaintext.Length));
        Seal(envelope, plaintext.Length, binding);
        return envelope;
    }

    /// <summary>
    /// The message bytes of a stored payload: decrypted and authenticated for the row
    /// <paramref name="binding"/>, or <paramref name="stored"/> itself when it was stored before
    /// encryption.
    /// </summary>
    /// <exception cref="PayloadProtectionException">
    /// The key is not configured, the format is unknown, or the envelope does not authenticate
    /// for this row (tampered, moved from another row, or a different key under the same id).
    /// </exception>
    public byte[] Unprotect(byte[] stored, in PayloadBinding binding)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!IsProtected(stored))
        {
            return stored;
        }

        var headerLength = ReadHeader(stored, binding);
        var keyIdBytes = stored.AsSpan(3, headerLength - 3);
        var key = Find(keyIdBytes) ?? throw new PayloadProtectionException(
            $"{Describe(binding)} is encrypted with key '{Encoding.ASCII.GetString(keyIdBytes)}', which is not configured "
            + $"({PayloadProtectionOptions.Section}:Keys has {string.Join(", ", _keys.Select(k => k.Id))}).");

        var bodyLength = stored.Length - headerLength - NonceSize - TagSize;
        var nonce = stored.AsSpan(headerLength, NonceSize);
        var body = stored.AsSpan(headerLength + NonceSize, bodyLength);
        var tag = stored.AsSpan(headerLength + NonceSize + bodyLength, TagSize);
        var plaintext = new byte[bodyLength];
        var adLength = AssociatedDataLength(headerLength, binding);
        byte[]? rented = null;
        var ad = adLength <= 512 ? stackalloc byte[adLength] : (rented = ArrayPool<byte>.Shared.Rent(adLength)).AsSpan(0, adLength);
        WriteAssociatedData(ad, stored.AsSpan(0, headerLength), binding);
        bool authentic;
        try
        {
            authentic = key.TryOpen(nonce, body, tag, plaintext, ad);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return authentic ? plaintext : throw new PayloadProtectionException(
            $"{Describe(binding)} failed authentication under key '{key.Id}': it was altered, copied from another row, "
            + "or encrypted with a different key under the same id.");
    }

    /// <summary>
    /// The index hash of a citizen ID: HMAC-SHA256 under the index key of the ID trimmed and in
    /// upper case (the stored form is exactly that: 18 characters, check character 'X' upper case).
    /// </summary>
    public byte[] HashCitizenId(string citizenId)
    {
        ArgumentNullException.ThrowIfNull(citizenId);
        var normalised = citizenId.Trim().ToUpperInvariant();
        Span<byte> text = stackalloc byte[Encoding.UTF8.GetMaxByteCount(64)];
        if (normalised.Length > 64)
        {
            return HMACSHA256.HashData(_indexKey, Encoding.UTF8.GetBytes(normalised));
        }

        var length = Encoding.UTF8.GetBytes(normalised, text);
        return HMACSHA256.HashData(_indexKey, text[..length]);
    }

    private static bool IsValidKeyId(string id) =>
        id.Length is > 0 and <= MaxKeyIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static byte[] DecodeKey(string setting, string? value)
    {
        var bytes = new byte[KeySize + 3];
        if (string.IsNullOrWhiteSpace(value) || !Convert.TryFromBase64String(value.Trim(), bytes, out var written) || written != KeySize)
        {
            throw new InvalidOperationException($"{setting} is not the base64 of exactly {KeySize} bytes (generate one with: openssl rand -base64 32).");
        }

        return bytes[..KeySize];
    }

    /// <summary>Checks an envelope's header and returns its length (the key id is bytes 3 up to it).</summary>
    private static int ReadHeader(ReadOnlySpan<byte> stored, in PayloadBinding binding)
    {
        if (stored.Length < 3)
        {
            throw new PayloadProtectionException($"{Describe(binding)} is a truncated envelope ({stored.Length} bytes).");
        }

        if (stored[1] != FormatVersion)
        {
            throw new PayloadProtectionException($"{Describe(binding)} has envelope version {stored[1]}; this hub reads version {FormatVersion}.");
        }

        var keyIdLength = stored[2];
        var headerLength = 3 + keyIdLength;
        if (keyIdLength is 0 or > MaxKeyIdLength || stored.Length < headerLength + NonceSize + TagSize)
        {
            throw new PayloadProtectionException($"{Describe(binding)} is a truncated or malformed envelope ({stored.Length} bytes).");
        }

        return headerLength;
    }

    private static string Describe(in PayloadBinding binding) =>
        binding.Key is null ? "A stored payload" : $"The payload of change {binding.Sequence} ({binding.Type} {binding.Key})";

    private PayloadKey? Find(ReadOnlySpan<byte> keyId)
    {
        foreach (var key in _keys)
        {
            if (key.Header.AsSpan(3).SequenceEqual(keyId))
            {
                return key;
            }
        }

        return null;
    }

    /// <summary>A new envelope for a message of <paramref name="size"/> bytes: the active key's header and a fresh random nonce.</summary>
    private byte[] NewEnvelope(int size)
    {
        var header = _active.Header;
        var envelope = new byte[header.Length + NonceSize + size + TagSize];
        header.CopyTo(envelope, 0);
        RandomNumberGenerator.Fill(envelope.AsSpan(header.Length, NonceSize));
        return envelope;
    }

    private Span<byte> Body(byte[] envelope, int size) => envelope.AsSpan(_active.Header.Length + NonceSize, size);

    /// <summary>Encrypts the message bytes in place (they are already in the envelope) and writes the tag.</summary>
    private void Seal(byte[] envelope, int size, in PayloadBinding binding)
    {
        var headerLength = _active.Header.Length;
        var nonce = envelope.AsSpan(headerLength, NonceSize);
        var body = envelope.AsSpan(headerLength + NonceSize, size);
        var tag = envelope.AsSpan(headerLength + NonceSize + size, TagSize);
        var adLength = AssociatedDataLength(headerLength, binding);
        byte[]? rented = null;
        var ad = adLength <= 512 ? stackalloc byte[adLength] : (rented = ArrayPool<byte>.Shared.Rent(adLength)).AsSpan(0, adLength);
        WriteAssociatedData(ad, envelope.AsSpan(0, headerLength), binding);
        try
        {
            _active.Seal(nonce, body, tag, ad);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int AssociatedDataLength(int headerLength, in PayloadBinding binding) =>
        headerLength + BindingFixedSize + Encoding.UTF8.GetByteCount(binding.Key ?? "");

    /// <summary>The associated data: the envelope header, then the row (sequence, type, key).</summary>
    private static void WriteAssociatedData(Span<byte> ad, ReadOnlySpan<byte> header, in PayloadBinding binding)
    {
        header.CopyTo(ad);
        BinaryPrimitives.WriteInt64BigEndian(ad[header.Length..], binding.Sequence);
        BinaryPrimitives.WriteInt16BigEndian(ad[(header.Length + sizeof(long))..], (short)binding.Type);
        Encoding.UTF8.GetBytes(binding.Key ?? "", ad[(header.Length + BindingFixedSize)..]);
    }

    /// <summary>
    /// One payload key and its cipher: OpenSSL's EVP interface with the key schedule kept
    /// (<see cref="OpenSslAesGcm"/>) where libcrypto 3 is available, else a pool of
    /// <see cref="AesGcm"/> instances (an instance is not safe for concurrent use, and creating one
    /// per payload costs a key schedule each time).
    /// </summary>
    private sealed class PayloadKey
    {
        private readonly BoundedPool<AesGcm> _pool = new(64);
        private readonly OpenSslAesGcm? _native;

        public PayloadKey(string id, byte[] key)
        {
            Id = id;
            Key = key;
            Header = [Marker, FormatVersion, (byte)id.Length, .. Encoding.ASCII.GetBytes(id)];
            _native = OpenSslAesGcm.TryCreate(key);
        }

        public string Id { get; }

        public byte[] Key { get; }

        public byte[] Header { get; }

        /// <summary>Encrypts <paramref name="body"/> in place and writes the tag.</summary>
        public void Seal(ReadOnlySpan<byte> nonce, Span<byte> body, Span<byte> tag, ReadOnlySpan<byte> associatedData)
        {
            if (_native is not null)
            {
                _native.Encrypt(nonce, body, body, tag, associatedData);
                return;
            }

            var aes = Rent();
            try
            {
                aes.Encrypt(nonce, body, body, tag, associatedData);
            }
            finally
            {
                Return(aes);
            }
        }

        /// <summary>Decrypts and authenticates; false when the envelope does not authenticate.</summary>
        public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> body, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
        {
            if (_native is not null)
            {
                return _native.TryDecrypt(nonce, body, tag, plaintext, associatedData);
            }

            var aes = Rent();
            try
            {
                aes.Decrypt(nonce, body, tag, plaintext, associatedData);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                plaintext.Clear();
                return false;
            }
            finally
            {
                Return(aes);
            }
        }

        private AesGcm Rent() => _pool.TryRent() ?? new AesGcm(Key, TagSize);

        private void Return(AesGcm aes) => _pool.Return(aes);
    }
}

/// <summary>The row a payload belongs to: its envelope authenticates only there.</summary>
/// <param name="Sequence">The change-log sequence of the row.</param>
/// <param name="Type">The entity type.</param>
/// <param name="Key">The entity key.</param>
public readonly record struct PayloadBinding(long Sequence, EntityType Type, string Key);

/// <summary>A stored payload that cannot be decrypted: the key is missing, or the envelope is damaged, tampered with or misplaced.</summary>
public sealed class PayloadProtectionException : CryptographicException
{
    /// <summary>Creates the exception.</summary>
    public PayloadProtectionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public PayloadProtectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public PayloadProtectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
