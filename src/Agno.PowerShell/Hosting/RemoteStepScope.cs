using System;
using System.Collections;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Management.Automation.Runspaces;
using Agno.Core;
using Agno.Values;

namespace Agno.Hosting
{
    /// <summary>
    /// The far side of a remote or process step (called by <see cref="RemoteBootstrap"/>'s script, where
    /// Agno's engine was brought in; not for scripts of your own). It decodes the request into the step's
    /// session, a fork of the state it was sent, so that the state cmdlets act on it while the step runs;
    /// <see cref="Finish"/> encodes what the step changed, and its Stop-AgnoWorkflow, if it called it.
    /// </summary>
    public sealed class RemoteStepScope : IDisposable
    {
        /// <summary>The scopes of the steps running in this process, by their session (what Stop-AgnoWorkflow finds).</summary>
        private static readonly ConditionalWeakTable<AgnoSession, RemoteStepScope> BySession = new ConditionalWeakTable<AgnoSession, RemoteStepScope>();

        private readonly AgnoState? _state;
        private readonly AgnoSession? _session;
        private readonly SessionRegistry.StepScope? _scope;
        private bool _stopped;
        private string? _stopReason;

        private RemoteStepScope(Hashtable parameters, AgnoState? state, AgnoSession? session, SessionRegistry.StepScope? scope)
        {
            Parameters = parameters;
            _state = state;
            _session = session;
            _scope = scope;
            if (session != null) BySession.Add(session, this);
        }

        /// <summary>The step bootstrap's parameters (<see cref="StepBootstrap"/>), to splat.</summary>
        public Hashtable Parameters { get; }

        /// <summary>Decodes <paramref name="request"/> and makes its session the one the state cmdlets act on in this runspace, until disposed.</summary>
        public static RemoteStepScope Enter(string request)
        {
            var message = RemoteStepProtocol.DecodeRequest(request);
            AgnoState? state = null;
            AgnoSession? session = null;
            if (message[RemoteStepProtocol.Session] is Hashtable sent)
            {
                var root = new AgnoState(PSValueCopier.Instance);
                root.Apply(StateDelta.FromChanges(((Hashtable)sent[RemoteStepProtocol.State]!).Cast<DictionaryEntry>().Select(e => StateChange.Set((string)e.Key, e.Value))));
                state = root.Fork();
                session = AgnoSession.Create((string)sent[RemoteStepProtocol.SessionId]!, (string?)sent[RemoteStepProtocol.UserId], sent[RemoteStepProtocol.Input], state);
                foreach (DictionaryEntry entry in (Hashtable)sent[RemoteStepProtocol.Metadata]!) session.Metadata[(string)entry.Key] = entry.Value;
            }
            var parameters = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                ["AgnoStepCode"] = message[RemoteStepProtocol.Code],
                ["AgnoStepFile"] = message[RemoteStepProtocol.File],
                ["AgnoStepLocation"] = message[RemoteStepProtocol.Location],
                ["AgnoStepSession"] = session,
                ["AgnoStepVariables"] = message[RemoteStepProtocol.Variables],
                ["AgnoStepFunctions"] = message[RemoteStepProtocol.Functions],
                ["AgnoStepModules"] = message[RemoteStepProtocol.Modules],
                ["AgnoStepArguments"] = message[RemoteStepProtocol.Arguments],
                ["AgnoStepItem"] = message[RemoteStepProtocol.Item],
                // The end here is the delta written after the bootstrap; an empty array writes nothing ($null would write $null).
                ["AgnoStepEnd"] = Array.Empty<object>(),
            };
            var scope = session == null ? (SessionRegistry.StepScope?)null : SessionRegistry.EnterStep(Runspace.DefaultRunspace, session);
            return new RemoteStepScope(parameters, state, session, scope);
        }

        /// <summary>
        /// Records Stop-AgnoWorkflow in the remote step whose session is <paramref name="session"/>, to be
        /// sent back with its changes (the run it stops is the caller's); false when no remote step has that session.
        /// </summary>
        internal static bool TryStopRun(AgnoSession session, string? reason)
        {
            if (!BySession.TryGetValue(session, out var scope)) return false;
            // The first request wins, as in the run itself. The step's code and Finish run on one thread.
            if (!scope._stopped) scope._stopReason = reason;
            scope._stopped = true;
            return true;
        }

        /// <summary>What the step changed, and its stop of the run, encoded to send back.</summary>
        public string Finish() => RemoteStepProtocol.EncodeResult(_state?.GetDelta() ?? StateDelta.Empty, _stopped, _stopReason);

        /// <summary>Ends the step's scope: the state cmdlets no longer act on its session.</summary>
        public void Dispose()
        {
            if (_session != null) BySession.Remove(_session);
            _scope?.Dispose();
        }
    }
}
