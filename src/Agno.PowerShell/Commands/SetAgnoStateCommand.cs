using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>
    /// Set-AgnoState: stores a copy of a value under a key, or several keys at once from a dictionary
    /// (all or none). Dictionaries come from the pipeline too (<c>@{ a = 1 } | Set-AgnoState</c>).
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "AgnoState", SupportsShouldProcess = true)]
    [OutputType(typeof(AgnoSession))]
    public sealed class SetAgnoStateCommand : AgnoCmdlet
    {
        [Parameter(ValueFromPipeline = true)]
        public AgnoSession? Session { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ParameterSets.KeyValue, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        public string Key { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1, ParameterSetName = ParameterSets.KeyValue, ValueFromPipelineByPropertyName = true)]
        [AllowNull]
        [AllowEmptyString]
        [AllowEmptyCollection]
        public object? Value { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Dictionary, ValueFromPipeline = true)]
        public IDictionary InputObject { get; set; } = new Hashtable();

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private protected override bool ChangesState => true;

        protected override void ProcessRecord()
        {
            var session = SessionRegistry.Require(this, Session);
            bool done = ParameterSetName == ParameterSets.KeyValue ? SetOne(session) : SetMany(session);
            if (done && PassThru) WriteObject(session);
        }

        private bool SetOne(AgnoSession session) =>
            ShouldChange($"key '{Key}' of session {session.SessionId}", "Set") && Commit(session, state => state.Set(Key, Value));

        private bool SetMany(AgnoSession session)
        {
            var keys = InputObject.Keys.Cast<object>().Select(k => k?.ToString() ?? "").ToList();
            if (!ShouldChange($"keys {string.Join(", ", keys.Select(k => "'" + k + "'"))} of session {session.SessionId}", "Set")) return false;
            // All or nothing: every value is copied into a fork first, then committed at once.
            return Commit(session, state =>
            {
                foreach (DictionaryEntry entry in InputObject)
                {
                    if (!(entry.Key is string key))
                    {
                        throw new AgnoArgumentException(
                            $"The dictionary has a key of type [{entry.Key.GetType().Name}] ('{entry.Key}'); keys must be strings. Nothing was stored.", entry.Key);
                    }
                    state.Set(key, entry.Value);
                }
            });
        }

        /// <summary>
        /// Makes the change as one commit, made from what this process last read (so that a stored
        /// session merges it with what other processes committed since, by the session's rules), and
        /// warns of each such meeting (AgnoStoreConflict).
        /// </summary>
        private bool Commit(AgnoSession session, System.Action<AgnoState> change) => ForItem(() =>
        {
            StateCommit? commit;
            try
            {
                commit = session.State.Change(change);
            }
            catch (StoreConflictException refused)
            {
                StoreWarnings.Write(this, refused.Conflicts);
                throw;
            }
            StoreWarnings.Write(this, commit?.Conflicts);
        });
    }
}
