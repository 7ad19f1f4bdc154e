namespace Agno.Core
{
    /// <summary>What kind of failure an <see cref="AgnoException"/> is: what the user can do about it.</summary>
    public enum AgnoErrorKind
    {
        /// <summary>Something went wrong that fits no other kind.</summary>
        Failed,
        /// <summary>An argument is not acceptable (an empty key, a value that cannot be stored, a bad option).</summary>
        InvalidArgument,
        /// <summary>What was asked for does not exist (a key, a session, a store).</summary>
        NotFound,
        /// <summary>The user may not do this (another user's session, a file without permission).</summary>
        PermissionDenied,
        /// <summary>Stored data is not what it should be (a value that cannot be read, a file that is not a store).</summary>
        InvalidData,
        /// <summary>Something could not be written where it should be (a store file that could not be created).</summary>
        WriteFailed,
        /// <summary>A resource is not available now (a store that is locked, deleted or cannot be written).</summary>
        ResourceUnavailable,
        /// <summary>Changes could not be combined (a merge conflict under Fail, a reducer that cannot combine).</summary>
        Conflict,
        /// <summary>A limit other than time was reached (a loop's maximum of iterations).</summary>
        LimitExceeded,
        /// <summary>A time limit was exceeded.</summary>
        Timeout,
        /// <summary>The work was stopped (a sibling branch failed, Ctrl+C).</summary>
        Stopped,
    }
}
