using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Agno.Core;
using Agno.Hosting;
using Agno.Values;

namespace Agno.Commands
{
    /// <summary>
    /// Invoke-AgnoParallel: runs branches now, each on its own copy of the state, and merges their
    /// changes in branch order; the session is updated in place. Branches are scriptblocks, nodes, or,
    /// with pipeline input, one scriptblock run once per item ($_ a copy of it), fed to the engine as
    /// the items arrive. Its options are <see cref="ParallelSettings"/>, <see cref="RetrySettings"/>,
    /// <see cref="StepScriptSettings"/> and <see cref="RemoteSettings"/>: with -HostName or -PSSession,
    /// each scriptblock runs as a branch on each host or session, in the order given; items piped in
    /// run on the one host or session given.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AgnoParallel", DefaultParameterSetName = ParameterSets.ScriptBlock)]
    [OutputType(typeof(object), typeof(RunRecord))]
    public sealed class InvokeAgnoParallelCommand : InvokeNodeCommand, IDynamicParameters
    {
        private readonly ParallelSettings _settings = new ParallelSettings();
        private readonly RetrySettings _retry = new RetrySettings();
        private readonly StepScriptSettings _script = new StepScriptSettings();
        private readonly RemoteSettings _remote = new RemoteSettings();
        private SettingsParameters? _parameters;
        // The pipeline form: the captured scriptblock, where it runs, where its branches go, and how many items were read.
        private StepScript? _itemScript;
        private RemoteTarget? _itemTarget;
        private BranchFeed? _feed;
        private int _items;

        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Step)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public WorkflowNode?[] Step { get; set; } = Array.Empty<WorkflowNode>();

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ParameterSets.ScriptBlock)]
        [ValidateNotNullOrEmpty]
        [AllowNull]
        public ScriptBlock?[] ScriptBlock { get; set; } = Array.Empty<ScriptBlock>();

        /// <summary>The items of the pipeline form: one branch each.</summary>
        [Parameter(ValueFromPipeline = true, ParameterSetName = ParameterSets.ScriptBlock)]
        [AllowNull]
        public object? InputObject { get; set; }

        /// <summary>Names each item's branch, from $_ (default Item1, Item2, ...).</summary>
        [Parameter(ParameterSetName = ParameterSets.ScriptBlock)]
        [ValidateNotNull]
        public ScriptBlock? BranchName { get; set; }

        /// <summary>Writes each item's output in input order, not as the branches finish.</summary>
        [Parameter(ParameterSetName = ParameterSets.ScriptBlock)]
        public SwitchParameter Ordered { get; set; }

        /// <summary>The session to run on, by name only: the pipeline carries items.</summary>
        [Parameter]
        public override AgnoSession? Session { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "parallel";

        /// <summary>How long the branches may run together; past that they are stopped and nothing is merged.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSeconds { get; set; }

        /// <inheritdoc/>
        public object GetDynamicParameters() => Parameters.Parameters;

        private SettingsParameters Parameters => _parameters ??= new SettingsParameters(_settings, _retry, _script, _remote);

        private bool IsPipelineForm => MyInvocation.ExpectingInput && ParameterSetName == ParameterSets.ScriptBlock;

        private TimeSpan? Timeout => TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null;

        private bool MergeGiven => Parameters.IsSet(nameof(ParallelSettings.MergeStrategy)) || Parameters.IsSet(nameof(ParallelSettings.Reducer));

        /// <summary>Where scriptblock branches run: each host or session given, else a child process (-Isolation Process), else null (as the invocation's isolation says).</summary>
        private IReadOnlyList<RemoteTarget?> Places => _remote.Places(this, Parameters, Isolation == StepIsolation.Process);

        protected override void BeginProcessing()
        {
            if (!IsPipelineForm) return;
            var session = SessionRegistry.Require(this, Session);
            ParallelNode node = null!;
            Terminating(() =>
            {
                Parameters.Apply();
                if (ScriptBlock.Length != 1 || ScriptBlock[0] == null)
                {
                    throw new AgnoArgumentException(
                        $"With pipeline input, Invoke-AgnoParallel runs one scriptblock once per item, but {ScriptBlock.Length} were given. Give one -ScriptBlock that uses $_, or pass the scriptblocks without piping anything in.", Name);
                }
                var places = Places;
                if (places.Count > 1)
                {
                    throw new AgnoArgumentException(
                        $"With pipeline input, each item's branch runs in one place, but {places.Count} hosts or sessions were given. Give one -HostName or -PSSession, or pass the scriptblocks without piping anything in to run each on every host.", Name);
                }
                _itemTarget = places[0];
                _itemScript = StepScript.Capture(this, "item", ScriptBlock[0]!, _script.ArgumentList, _script.Function, _script.Module, _script.Variable);
                // Reads ahead of the running branches by at most one throttle's worth of items.
                _feed = new BranchFeed(_settings.ThrottleLimit);
                node = _settings.Build(this, Name, _feed, Timeout, MergeGiven);
                node.BranchRetry = _retry.Build();
            });
            Start(session, node, runTimeout: null, resume: false, Ordered);
        }

        protected override void ProcessRecord()
        {
            if (!IsPipelineForm)
            {
                RunBranches();
                return;
            }
            if (Ended)
            {
                if (Running) Finish(); // the run failed: its error ends the pipeline now, not after the input
                return;
            }
            int index = _items++;
            var step = ItemStep(index, InputObject);
            PumpUntil(_feed!.AddAsync(step));
            if (Ended) Finish();
        }

        protected override void EndProcessing()
        {
            if (!Running) return;
            _feed!.Complete();
            Finish();
        }

        /// <summary>The branch of item <paramref name="index"/>: its own copy of the item, and its name.</summary>
        private Step ItemStep(int index, object? item)
        {
            var name = BranchName == null ? $"Item{index + 1}" : NameOf(index, item);
            try
            {
                var copy = PSValueCopier.Instance.Copy(item);
                return ScriptStep.ForItem(name, _itemScript!, new StepItem(copy, index), _itemTarget);
            }
            catch (ValueRefusedException e)
            {
                // The item's branch fails, as any branch does: ErrorPolicy decides what that does to the rest.
                return ScriptStep.Failing(name, new AgnoArgumentException($"Item {index + 1} cannot be copied for its branch ($_): {e.Reason}", name, e), item);
            }
        }

        private string NameOf(int index, object? item)
        {
            string? name = null;
            Exception? error = null;
            try
            {
                var result = BranchName!.InvokeWithContext(null, new List<PSVariable> { new PSVariable("_", item) });
                name = result.Count == 0 ? null : result[0]?.ToString();
            }
            catch (RuntimeException e)
            {
                error = e;
            }
            if (string.IsNullOrWhiteSpace(name))
            {
                var because = error != null ? $"it failed: {error.Message}" : "it returned nothing, or an empty name";
                ThrowTerminatingError(AgnoErrors.FromException(new AgnoArgumentException(
                    $"-BranchName gave no name for item {index + 1} ('{item}'): {because}. Return a distinct, non-empty name from $_, for example {{ $_.Name }}.", item, error)));
            }
            return name!;
        }

        /// <summary>The forms without pipeline input: -ScriptBlock (one branch each) or -Step.</summary>
        private void RunBranches()
        {
            var session = SessionRegistry.Require(this, Session);
            ParallelNode node = null!;
            Terminating(() =>
            {
                Parameters.Apply();
                if (BranchName != null || Ordered)
                {
                    throw new AgnoArgumentException("-BranchName and -Ordered apply to items piped in (one branch per item); name the branches with New-AgnoStep and -Step instead.", Name);
                }
                if (ParameterSetName == ParameterSets.Step)
                {
                    if (new[] { "ArgumentList", "Function", "Module", "Variable" }.Any(Parameters.IsSet))
                    {
                        throw new AgnoArgumentException("-ArgumentList, -Function, -Module and -Variable apply to scriptblock branches; give them to New-AgnoStep for the steps of -Step.", Name);
                    }
                    if (new[] { nameof(RemoteSettings.HostName), nameof(RemoteSettings.PSSession), nameof(RemoteSettings.IdleTimeoutSeconds) }.Any(Parameters.IsSet))
                    {
                        throw new AgnoArgumentException("-HostName, -PSSession and -IdleTimeoutSeconds apply to scriptblock branches; a step made with New-AgnoStep says where it runs itself (New-AgnoStep -HostName, -PSSession, -Isolation).", Name);
                    }
                }
                var branches = ParameterSetName == ParameterSets.Step ? Step : ScriptBranches();
                node = _settings.Build(this, Name, branches, Timeout, MergeGiven);
                node.BranchRetry = _retry.Build();
            });
            Invoke(session, node, runTimeout: null, resume: false);
        }

        /// <summary>
        /// A branch per scriptblock, or per host or session and scriptblock (host by host, in the order
        /// given); each scriptblock is captured once, its copies shared by its branches' runs.
        /// </summary>
        private WorkflowNode?[] ScriptBranches()
        {
            var places = Places;
            var scripts = ScriptBlock.Select((script, i) => script == null
                ? null
                : StepScript.Capture(this, $"Branch{i + 1}", script, _script.ArgumentList, _script.Function, _script.Module, _script.Variable)).ToArray();
            var branches = new List<WorkflowNode?>();
            foreach (var target in places)
            {
                foreach (var script in scripts)
                {
                    var name = $"Branch{branches.Count + 1}";
                    branches.Add(script == null ? null : ScriptStep.Create(name, script, 0, target: target));
                }
            }
            return branches.ToArray();
        }
    }
}
