using System.Collections;
using System.Linq;
using System.Management.Automation;
using System;
using Agno.Core;
using Agno.Hosting;

namespace Agno.Commands
{
    /// <summary>Set-AgnoState: stores a copy of a value under a key, or several keys at once from a dictionary.</summary>
    [Cmdlet(VerbsCommon.Set, "AgnoState", SupportsShouldProcess = true, DefaultParameterSetName = "One")]
    [OutputType(typeof(AgnoSession))]
    public sealed class SetAgnoStateCommand : PSCmdlet
    {
        [Parameter(ValueFromPipeline = true)]
        public AgnoSession? Session { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "One", ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        public string Key { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1, ParameterSetName = "One", ValueFromPipelineByPropertyName = true)]
        [AllowNull]
        [AllowEmptyString]
        [AllowEmptyCollection]
        public object? Value { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = "Many")]
        public IDictionary InputObject { get; set; } = new Hashtable();

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var session = SessionRegistry.Require(this, Session);
            try
            {
                StateCommit? commit;
                if (ParameterSetName == "One")
                {
                    if (!ShouldProcess($"key '{Key}' of session {session.SessionId}", "Set")) return;
                    commit = session.State.Change(state => state.Set(Key, Value));
                }
                else
                {
                    var keys = InputObject.Keys.Cast<object>().Select(k => k?.ToString() ?? "").ToList();
                    if (!ShouldProcess($"keys {string.Join(", ", keys.Select(k => "'" + k + "'"))} of session {session.SessionId}", "Set")) return;
                    // All or nothing: every value is copied into a fork first, then committed at once.
                    commit = session.State.Change(state =>
                    {
                        foreach (DictionaryEntry entry in InputObject)
                        {
                            if (!(entry.Key is string key))
                            {
                                throw new ArgumentException($"-InputObject has a key of type [{entry.Key.GetType().Name}] ('{entry.Key}'); keys must be strings. Nothing was stored.", nameof(InputObject));
                            }
                            state.Set(key, entry.Value);
                        }
                    });
                }
                // A stored session's commit that met another process's change to a key says so.
                StoreWarnings.Write(this, commit?.Conflicts);
                if (PassThru) WriteObject(session);
            }
            catch (Exception e) when (e is AgnoException || e is ArgumentException)
            {
                if (e is StoreConflictException refused) StoreWarnings.Write(this, refused.Conflicts);
                WriteError(AgnoErrors.FromException(e));
            }
        }
    }
}
