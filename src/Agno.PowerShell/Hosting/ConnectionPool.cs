using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Agno.Hosting
{
    /// <summary>
    /// The connections Agno opened (SSH, child processes) that no step is using, per target key, for the
    /// life of the process: a step takes one, or a new one is opened; each step gets a connection of its
    /// own (one SSH connection carries one runspace). An idle connection is closed after its idle
    /// timeout, and all of them when the module is removed.
    /// </summary>
    internal sealed class ConnectionPool
    {
        public static ConnectionPool Shared { get; } = new ConnectionPool();

        private readonly object _gate = new object();
        private readonly Dictionary<string, List<Idle>> _idle = new Dictionary<string, List<Idle>>(StringComparer.Ordinal);

        private sealed class Idle
        {
            public Idle(RemoteConnection connection) { Connection = connection; }
            public RemoteConnection Connection { get; }
            public Timer? Expiry { get; set; }
        }

        /// <summary>How many idle connections are kept now, for all keys.</summary>
        public int IdleCount
        {
            get { lock (_gate) return _idle.Values.Sum(l => l.Count); }
        }

        /// <summary>An idle, usable connection for <paramref name="key"/>, or null; idle ones found unusable are closed.</summary>
        public RemoteConnection? Rent(string key)
        {
            var dead = new List<RemoteConnection>();
            RemoteConnection? found = null;
            lock (_gate)
            {
                if (_idle.TryGetValue(key, out var list))
                {
                    // The most recently used first: the others may then reach their idle timeout.
                    while (found == null && list.Count > 0)
                    {
                        var idle = list[list.Count - 1];
                        list.RemoveAt(list.Count - 1);
                        idle.Expiry?.Dispose();
                        if (idle.Connection.Usable) found = idle.Connection;
                        else dead.Add(idle.Connection);
                    }
                }
            }
            foreach (var connection in dead) connection.Close();
            return found;
        }

        /// <summary>Keeps <paramref name="connection"/> for the next step, closing it after <paramref name="idleTimeout"/> unused.</summary>
        public void Return(string key, RemoteConnection connection, TimeSpan idleTimeout)
        {
            if (idleTimeout <= TimeSpan.Zero)
            {
                connection.Close();
                return;
            }
            var idle = new Idle(connection);
            lock (_gate)
            {
                if (!_idle.TryGetValue(key, out var list)) _idle[key] = list = new List<Idle>();
                list.Add(idle);
                idle.Expiry = new Timer(_ => Expire(key, idle), null, idleTimeout, Timeout.InfiniteTimeSpan);
            }
        }

        private void Expire(string key, Idle idle)
        {
            lock (_gate)
            {
                if (!_idle.TryGetValue(key, out var list) || !list.Remove(idle)) return; // taken by a step meanwhile
                idle.Expiry?.Dispose();
            }
            idle.Connection.Close();
        }

        /// <summary>Closes every idle connection (the module is being removed); those in use are closed or kept when their step gives them back.</summary>
        public void CloseAll()
        {
            List<Idle> all;
            lock (_gate)
            {
                all = _idle.Values.SelectMany(l => l).ToList();
                _idle.Clear();
            }
            foreach (var idle in all) idle.Expiry?.Dispose();
            // Each close may wait a few seconds for a far side that does not answer: close them at once.
            System.Threading.Tasks.Task.WaitAll(all.Select(idle => System.Threading.Tasks.Task.Run(idle.Connection.Close)).ToArray());
        }
    }
}
