using System.IO;
using System.Management.Automation;
using System;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Optimize-AgnoStore: compacts a store file: forgets the record of removed keys and gives back the
    /// space of deleted sessions, runs and values. A cmdlet of its own rather than a switch: it works on
    /// the whole store, not a session, and rewrites the file (so it takes -WhatIf and -Confirm).
    /// </summary>
    [Cmdlet(VerbsCommon.Optimize, "AgnoStore", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class OptimizeAgnoStoreCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Store { get; set; } = "";

        protected override void ProcessRecord()
        {
            try
            {
                var store = StoreCache.Resolve(this, Store, StoreCreation.None)!;
                if (!ShouldProcess(store.Location, "Compact")) return;
                long before = Size(store.Location);
                store.Optimize();
                WriteVerbose($"Store '{store.Location}': {before:N0} bytes before, {Size(store.Location):N0} after (with its write-ahead log).");
            }
            catch (Exception e) when (e is AgnoException || e is ArgumentException)
            {
                ThrowTerminatingError(AgnoErrors.FromException(e));
            }
        }

        private static long Size(string path)
        {
            long size = 0;
            foreach (var file in new[] { path, path + "-wal" }) if (File.Exists(file)) size += new FileInfo(file).Length;
            return size;
        }
    }
}
