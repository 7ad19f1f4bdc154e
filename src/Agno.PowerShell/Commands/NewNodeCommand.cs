using System.Management.Automation;
using Agno.Core;

namespace Agno.Commands
{
    /// <summary>
    /// What the cmdlets that make workflow nodes share (New-AgnoWorkflow, New-AgnoParallel and the
    /// control-flow nodes): the node's -Name, and writing the node once it is made; a bad argument ends
    /// the command, naming what it is about.
    /// </summary>
    public abstract class NewNodeCommand : AgnoCmdlet
    {
        /// <summary>The node's name: it names the node in run records, errors, progress and checkpoints.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        /// <summary>The node the command's parameters describe.</summary>
        private protected abstract WorkflowNode MakeNode();

        protected override void EndProcessing() => Terminating(() => WriteObject(MakeNode()));
    }
}
