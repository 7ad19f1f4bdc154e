using System;
using System.Threading;
using System.Threading.Tasks;

namespace Agno.Hosting
{
    /// <summary>
    /// A target whose connections Agno opens itself (SSH, child processes): they are kept in the
    /// process-wide <see cref="ConnectionPool"/> under the target's key between steps and runs, and
    /// closed once idle for <see cref="IdleTimeout"/>.
    /// </summary>
    internal abstract class PooledTarget : RemoteTarget
    {
        /// <summary>How long an unused connection is kept when nothing else is said.</summary>
        public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(5);

        protected PooledTarget(TimeSpan idleTimeout)
        {
            IdleTimeout = idleTimeout;
        }

        /// <summary>How long a connection is kept open after its last step; zero closes it at once.</summary>
        public TimeSpan IdleTimeout { get; }

        /// <summary>What identifies the far side and how it is reached: connections are shared by targets with one key.</summary>
        public abstract string PoolKey { get; }

        /// <summary>Opens a new connection (the pool had none free); throws an error naming the cause when it cannot.</summary>
        protected abstract Task<RemoteConnection> OpenAsync(CancellationToken cancellationToken);

        public override async Task<RemoteConnection> AcquireAsync(CancellationToken cancellationToken)
        {
            return ConnectionPool.Shared.Rent(PoolKey) ?? await OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        public override void Release(RemoteConnection connection)
        {
            if (connection.Usable) ConnectionPool.Shared.Return(PoolKey, connection, IdleTimeout);
            else connection.Close();
        }
    }
}
