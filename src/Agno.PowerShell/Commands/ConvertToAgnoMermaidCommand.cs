using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>ConvertTo-AgnoMermaid: a Mermaid flowchart of a workflow, or a Mermaid gantt of a run (see <see cref="MermaidWriter"/>).</summary>
    [Cmdlet(VerbsData.ConvertTo, "AgnoMermaid", DefaultParameterSetName = WorkflowSet)]
    [OutputType(typeof(string))]
    public sealed class ConvertToAgnoMermaidCommand : AgnoCmdlet
    {
        private const string WorkflowSet = "Workflow";
        private const string RunSet = "Run";

        /// <summary>The workflow, step or parallel node to draw.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = WorkflowSet)]
        [ValidateNotNull]
        public WorkflowNode Workflow { get; set; } = null!;

        /// <summary>The run to draw, as Invoke-AgnoWorkflow -PassThru or a session's History gives it.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = RunSet)]
        [ValidateNotNull]
        public RunRecord Run { get; set; } = null!;

        protected override void ProcessRecord() =>
            WriteObject(ParameterSetName == RunSet ? MermaidWriter.Gantt(Run) : MermaidWriter.Flowchart(Workflow));
    }
}
