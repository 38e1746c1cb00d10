using System.Text;

namespace GridExchange.Hub.Startup;

/// <summary>Files holding secrets (tokens, keys): readable and writable by their owner only.</summary>
internal static class SecretFiles
{
    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/> (creating its folder), mode 0600
    /// on Unix whatever the umask, flushed to disk. <paramref name="mode"/> says whether an
    /// existing file is replaced (<see cref="FileMode.Create"/>) or refused (<see cref="FileMode.CreateNew"/>).
    /// </summary>
    public static void Write(string path, string text, FileMode mode = FileMode.Create)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var fileOptions = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, fileOptions);
        if (!OperatingSystem.IsWindows())
        {
            // The create mode is filtered by the umask; make it exact.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        stream.Write(Encoding.UTF8.GetBytes(text));
        stream.Flush(flushToDisk: true);
    }
}
