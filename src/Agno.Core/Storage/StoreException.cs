using System;

namespace Agno.Core
{
    /// <summary>A store could not be opened, read or written; the message names the file (or session) and what to do.</summary>
    public sealed class StoreException : AgnoException
    {
        /// <summary>A store error with id <paramref name="errorId"/> (of the form Agno&lt;Name&gt;).</summary>
        public StoreException(string errorId, string message, Exception? inner = null) : base(message, inner)
        {
            ErrorId = errorId;
        }

        /// <inheritdoc/>
        public override string ErrorId { get; }

        /// <summary>What the user can do about it, by id: every store error has one of these kinds.</summary>
        public override AgnoErrorKind Kind => ErrorId switch
        {
            "AgnoSessionUserMismatch" or "AgnoStoreAccessDenied" => AgnoErrorKind.PermissionDenied,
            "AgnoStoreNotFound" or "AgnoStoreFolderNotFound" or "AgnoSessionNotFound" or "AgnoSessionRemoved" => AgnoErrorKind.NotFound,
            "AgnoStoreIsFolder" => AgnoErrorKind.InvalidArgument,
            "AgnoStoreNotSqlite" or "AgnoStoreUnreadable" or "AgnoStoreValueUnreadable" or "AgnoStoreSchemaNewer" or "AgnoStoreMigrationFailed" => AgnoErrorKind.InvalidData,
            "AgnoStoreCreateFailed" => AgnoErrorKind.WriteFailed,
            _ => AgnoErrorKind.ResourceUnavailable, // busy, could not be written, deleted, replaced or closed while open
        };
    }
}
