using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using Agno.Commands;
using Agno.Core;

namespace Agno.Hosting
{
    /// <summary>
    /// Which session a cmdlet acts on when -Session is omitted: inside a step, the step's own copy
    /// (the innermost step running in this runspace); outside, the session most recently created by
    /// New-AgnoSession in this runspace.
    /// </summary>
    internal static class SessionRegistry
    {
        private sealed class RunspaceSessions
        {
            public AgnoSession? Current;
            public readonly Stack<AgnoSession> Steps = new Stack<AgnoSession>();
        }

        private static readonly ConditionalWeakTable<Runspace, RunspaceSessions> ByRunspace = new ConditionalWeakTable<Runspace, RunspaceSessions>();

        private static RunspaceSessions For(Runspace runspace) => ByRunspace.GetValue(runspace, _ => new RunspaceSessions());

        /// <summary>
        /// Makes <paramref name="session"/> the current one of this runspace, except inside a step: a
        /// session made by a step (under -Isolation Inline, in the caller's runspace) never replaces the caller's.
        /// </summary>
        public static void SetCurrent(AgnoSession session)
        {
            var runspace = Runspace.DefaultRunspace;
            if (runspace == null) return;
            var sessions = For(runspace);
            lock (sessions)
            {
                if (sessions.Steps.Count == 0) sessions.Current = session;
            }
        }

        /// <summary>True while a step runs in this runspace (its state cmdlets act on the step's copy).</summary>
        public static bool InStep
        {
            get
            {
                var runspace = Runspace.DefaultRunspace;
                if (runspace == null) return false;
                var sessions = For(runspace);
                lock (sessions) return sessions.Steps.Count > 0;
            }
        }

        /// <summary>The session an omitted -Session means here, or null when there is none.</summary>
        public static AgnoSession? Resolve()
        {
            var runspace = Runspace.DefaultRunspace;
            if (runspace == null) return null;
            var sessions = For(runspace);
            lock (sessions) return sessions.Steps.Count > 0 ? sessions.Steps.Peek() : sessions.Current;
        }

        /// <summary>Makes <paramref name="stepSession"/> the session of cmdlets run in <paramref name="runspace"/> until disposed.</summary>
        public static StepScope EnterStep(Runspace runspace, AgnoSession stepSession)
        {
            var sessions = For(runspace);
            lock (sessions) sessions.Steps.Push(stepSession);
            return new StepScope(sessions);
        }

        public readonly struct StepScope : System.IDisposable
        {
            private readonly object _sessions;
            internal StepScope(object sessions) { _sessions = sessions; }
            public void Dispose()
            {
                var sessions = (RunspaceSessions)_sessions;
                lock (sessions) sessions.Steps.Pop();
            }
        }

        /// <summary>The session for a cmdlet: the one given, else the one an omitted -Session means; an error when there is none.</summary>
        public static AgnoSession Require(PSCmdlet cmdlet, AgnoSession? given)
        {
            var session = given ?? Resolve();
            if (session == null)
            {
                cmdlet.ThrowTerminatingError(AgnoErrors.FromException(new AgnoCommandException("AgnoNoSession",
                    "There is no current Agno session. Create one with New-AgnoSession, or pass one with -Session.", AgnoErrorKind.InvalidArgument)));
            }
            return session!;
        }
    }
}
