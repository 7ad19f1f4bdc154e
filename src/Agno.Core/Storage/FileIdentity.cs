using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Agno.Core
{
    /// <summary>
    /// Which file a path names: its device and file number (inode on Unix, file index on Windows), so
    /// that a store notices its file was deleted and another put in its place. netstandard2.0 has no
    /// API for it: libc's stat on Unix, GetFileInformationByHandle on Windows.
    /// </summary>
    internal static class FileIdentity
    {
        /// <summary>Returned where the platform's identity cannot be read: it matches any identity.</summary>
        public const string Unknown = "?";

        /// <summary>The identity of the file at <paramref name="path"/>; null when there is none.</summary>
        public static string? Of(string path) =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? OfWindowsFile(path) : OfUnixFile(path);

        /// <summary>True when both name one file, or either is unknown.</summary>
        public static bool Same(string identity, string other) => identity == Unknown || other == Unknown || identity == other;

        private const int ENOENT = 2, ENOTDIR = 20;

        private static string? OfUnixFile(string path)
        {
            // Every 64-bit Unix .NET runs on puts the device at offset 0 and the inode (64 bits) at 8;
            // the device is 64 bits on Linux and 32 on macOS. 32-bit layouts differ: unknown there.
            bool mac = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);
            if (IntPtr.Size != 8) return File.Exists(path) ? Unknown : null;
            var buffer = new byte[256];
            int result;
            try
            {
                result = mac && RuntimeInformation.ProcessArchitecture == Architecture.X64 ? stat_inode64(path, buffer) : stat(path, buffer);
            }
            catch (EntryPointNotFoundException)
            {
                // glibc before 2.33 exports stat only as __xstat, whose version argument is 1 on x86-64, 0 elsewhere.
                result = __xstat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, buffer);
            }
            if (result != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                return errno == ENOENT || errno == ENOTDIR ? null : Unknown;
            }
            ulong device = mac ? (uint)BitConverter.ToInt32(buffer, 0) : BitConverter.ToUInt64(buffer, 0);
            return device + ":" + BitConverter.ToUInt64(buffer, 8);
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int stat(string path, byte[] buffer);

        [DllImport("libc", EntryPoint = "stat$INODE64", SetLastError = true)]
        private static extern int stat_inode64(string path, byte[] buffer);

        [DllImport("libc", SetLastError = true)]
        private static extern int __xstat(int version, string path, byte[] buffer);

        private static string? OfWindowsFile(string path)
        {
            FileStream file;
            try
            {
                file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return Unknown;
            }
            using (file)
            {
                return GetFileInformationByHandle(file.SafeFileHandle, out var info)
                    ? info.VolumeSerialNumber + ":" + (((ulong)info.FileIndexHigh << 32) | info.FileIndexLow)
                    : Unknown;
            }
        }

        [StructLayout(LayoutKind.Sequential, Pack = 4)] // FILETIMEs are two DWORDs: 4-aligned
        private struct ByHandleFileInformation
        {
            public uint FileAttributes;
            public long CreationTime, LastAccessTime, LastWriteTime;
            public uint VolumeSerialNumber, FileSizeHigh, FileSizeLow, NumberOfLinks, FileIndexHigh, FileIndexLow;
        }

        [DllImport("kernel32.dll", SetLastError = true)]
        private static extern bool GetFileInformationByHandle(SafeFileHandle file, out ByHandleFileInformation information);
    }
}
