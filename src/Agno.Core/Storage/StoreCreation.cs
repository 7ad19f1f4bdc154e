namespace Agno.Core
{
    /// <summary>What opening a store file may create when it is not there.</summary>
    public enum StoreCreation
    {
        /// <summary>Nothing: a missing file is an error (listing or removing sessions never makes a store).</summary>
        None,

        /// <summary>The file, in a folder that exists; a missing folder is an error (a typo must not start an empty store).</summary>
        File,

        /// <summary>The file and any missing folders above it.</summary>
        FileAndFolder,
    }
}
