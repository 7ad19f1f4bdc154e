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
    /// the items arrive. Its options are <see cref="ParallelSettings"/>, <see cref="RetrySettings"/> and
    /// <see cref="StepScriptSettings"/>.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AgnoParallel", DefaultParameterSetName = ParameterSets.ScriptBlock)]
    [OutputType(typeof(object), typeof(RunRecord))]
    public sealed class InvokeAgnoParallelCommand : InvokeNodeCommand, IDynamicParameters
    {
        private readonly ParallelSettings _settings = new ParallelSettings();
        private readonly RetrySettings _retry = new RetrySettings();
        private readonly StepScriptSettings _script = new StepScriptSettings();
        private SettingsParameters? _parameters;
        // The pipeline form: the captured scriptblock, where its branches go, and how many items were read.
        private StepScript? _itemScript;
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
        public object GetDynamicParameters() => (_parameters ??= new SettingsParameters(_settings, _retry, _script)).Parameters;

        private bool IsPipelineForm => MyInvocation.ExpectingInput && ParameterSetName == ParameterSets.ScriptBlock;

        private TimeSpan? Timeout => TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null;

        private bool MergeGiven => _parameters != null && (_parameters.IsSet(nameof(ParallelSettings.MergeStrategy)) || _parameters.IsSet(nameof(ParallelSettings.Reducer)));

        protected override void BeginProcessing()
        {
            if (!IsPipelineForm) return;
            var session = SessionRegistry.Require(this, Session);
            ParallelNode node = null!;
            Terminating(() =>
            {
                _parameters?.Apply();
                if (ScriptBlock.Length != 1 || ScriptBlock[0] == null)
                {
                    throw new AgnoArgumentException(
                        $"With pipeline input, Invoke-AgnoParallel runs one scriptblock once per item, but {ScriptBlock.Length} were given. Give one -ScriptBlock that uses $_, or pass the scriptblocks without piping anything in.", Name);
                }
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
                return ScriptStep.ForItem(name, _itemScript!, new StepItem(copy, index));
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
                _parameters?.Apply();
                if (BranchName != null || Ordered)
                {
                    throw new AgnoArgumentException("-BranchName and -Ordered apply to items piped in (one branch per item); name the branches with New-AgnoStep and -Step instead.", Name);
                }
                bool scriptGiven = _parameters != null && new[] { "ArgumentList", "Function", "Module", "Variable" }.Any(_parameters.IsSet);
                if (scriptGiven && ParameterSetName == ParameterSets.Step)
                {
                    throw new AgnoArgumentException("-ArgumentList, -Function, -Module and -Variable apply to scriptblock branches; give them to New-AgnoStep for the steps of -Step.", Name);
                }
                var branches = ParameterSetName == ParameterSets.Step
                    ? Step
                    : ScriptBlock.Select((script, i) => script == null
                        ? null
                        : (WorkflowNode)ScriptStep.Create($"Branch{i + 1}",
                            StepScript.Capture(this, $"Branch{i + 1}", script, _script.ArgumentList, _script.Function, _script.Module, _script.Variable), 0)).ToArray();
                node = _settings.Build(this, Name, branches, Timeout, MergeGiven);
                node.BranchRetry = _retry.Build();
            });
            Invoke(session, node, runTimeout: null, resume: false);
        }
    }
}
