<#
.SYNOPSIS
    Writes the module's MAML help from docs/help/commands/<Cmdlet>.md and the cmdlets themselves.
.DESCRIPTION
    Each cmdlet's prose (synopsis, description, examples, what each parameter does, inputs,
    outputs, notes, links) is written by hand in a markdown file; everything the code already
    knows (the syntax, parameter sets, types, positions, pipeline input, wildcards, aliases) is
    read from the built module with Get-Command, so help never disagrees with the code. Fails,
    naming the file, when a cmdlet has no file, a parameter has no description, or a file
    describes a parameter the cmdlet does not have. build.ps1 runs it in a fresh pwsh.
.EXAMPLE
    pwsh -NoProfile -File tools/Build-Help.ps1 -ModulePath out/Agno -Source docs/help/commands -Destination out/Agno/en-US/Agno.PowerShell.dll-Help.xml
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Source,
    [Parameter(Mandatory)] [string] $Destination
)

$ErrorActionPreference = 'Stop'
$module = Import-Module (Resolve-Path $ModulePath).Path -PassThru -Force
$common = [System.Management.Automation.PSCmdlet]::CommonParameters # -WhatIf and -Confirm are documented like the others

# A help file's sections: '## NAME' headings, each holding its text or, for EXAMPLES, PARAMETERS,
# INPUTS and OUTPUTS, '### title' entries.
function Read-HelpFile([string] $Path) {
    $sections = [ordered]@{}
    $section = $null; $entry = $null
    $inCode = $false
    foreach ($line in Get-Content -LiteralPath $Path) {
        if ($line -match '^```') { $inCode = -not $inCode }
        if (-not $inCode -and $line -match '^## (.+)$') { $section = $Matches[1].Trim(); $sections[$section] = [ordered]@{ '' = [System.Collections.Generic.List[string]]::new() }; $entry = ''; continue }
        if (-not $inCode -and $line -match '^### (.+)$' -and $section) { $entry = $Matches[1].Trim(); $sections[$section][$entry] = [System.Collections.Generic.List[string]]::new(); continue }
        if ($section) { $sections[$section][$entry].Add($line) }
    }
    $sections
}

# Paragraphs of markdown text (blank-line separated), code fences removed from prose.
function Get-Paragraphs([System.Collections.Generic.List[string]] $Lines) {
    if (-not $Lines) { return @() }
    (($Lines -join "`n") -split '\n\s*\n') | ForEach-Object { ($_ -replace '\s*\n\s*', ' ').Trim() } | Where-Object { $_ -and $_ -notmatch '^```' -and $_ -notmatch '^Default value:' }
}

function Write-Paragraphs([System.Xml.XmlWriter] $W, [string[]] $Paragraphs) {
    foreach ($p in $Paragraphs) { $W.WriteElementString('maml', 'para', $maml, $p) }
}

$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Destination)
$w = [System.Xml.XmlWriter]::Create($Destination, $settings)
$w.WriteStartDocument()
$w.WriteStartElement('helpItems')
$w.WriteAttributeString('schema', 'maml')

$problems = [System.Collections.Generic.List[string]]::new()
foreach ($cmdlet in $module.ExportedCmdlets.Values | Sort-Object Name) {
    $file = Join-Path $Source "$($cmdlet.Name).md"
    if (-not (Test-Path -LiteralPath $file)) { $problems.Add("$($cmdlet.Name) has no help file: write $file."); continue }
    $help = Read-HelpFile $file
    $parameters = @($cmdlet.Parameters.Values | Where-Object { $_.Name -notin $common })
    $described = $help['PARAMETERS']
    foreach ($p in $parameters) {
        if (-not $described -or -not $described.Contains("-$($p.Name)") -or -not (Get-Paragraphs $described["-$($p.Name)"])) { $problems.Add("$file describes no parameter -$($p.Name).") }
    }
    foreach ($name in @($described.Keys | Where-Object { $_ })) {
        if ($name.TrimStart('-') -notin $parameters.Name) { $problems.Add("$file describes -$($name.TrimStart('-')), which $($cmdlet.Name) does not have.") }
    }
    foreach ($needed in 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES') {
        if (-not $help.Contains($needed)) { $problems.Add("$file has no '## $needed' section.") }
    }
    if ($problems.Count) { continue }

    $verb, $noun = $cmdlet.Name -split '-', 2
    $w.WriteStartElement('command', 'command', $command)
    $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $w.WriteStartElement('command', 'details', $command)
    $w.WriteElementString('command', 'name', $command, $cmdlet.Name)
    $w.WriteElementString('command', 'verb', $command, $verb)
    $w.WriteElementString('command', 'noun', $command, $noun)
    $w.WriteStartElement('maml', 'description', $maml); Write-Paragraphs $w (Get-Paragraphs $help['SYNOPSIS']['']); $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteStartElement('maml', 'description', $maml); Write-Paragraphs $w (Get-Paragraphs $help['DESCRIPTION']['']); $w.WriteEndElement()

    # One parameter's entry, as the syntax (per set) and the parameter list show it.
    $writeParameter = {
        param($p, $set, [bool] $inSyntax)
        $attribute = if ($set) { $p.ParameterSets[$set] } else { $p.ParameterSets.Values | Select-Object -First 1 }
        $pipeline = @(if ($attribute.ValueFromPipeline) { 'ByValue' }; if ($attribute.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
        $required = if ($set) { $attribute.IsMandatory } else { @($p.ParameterSets.Values.IsMandatory) -notcontains $false }
        $position = if ($attribute.Position -ge 0) { "$($attribute.Position)" } else { 'named' }
        $isSwitch = $p.ParameterType -eq [switch]
        $w.WriteStartElement('command', 'parameter', $command)
        $w.WriteAttributeString('required', "$required".ToLowerInvariant())
        $w.WriteAttributeString('variableLength', "$($p.ParameterType.IsArray)".ToLowerInvariant())
        $w.WriteAttributeString('globbing', "$([bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }))".ToLowerInvariant())
        $w.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
        $w.WriteAttributeString('position', $position)
        $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
        $w.WriteElementString('maml', 'name', $maml, $p.Name)
        $w.WriteStartElement('maml', 'description', $maml); Write-Paragraphs $w (Get-Paragraphs $described["-$($p.Name)"]); $w.WriteEndElement()
        if (-not $isSwitch -or -not $inSyntax) {
            $w.WriteStartElement('command', 'parameterValue', $command)
            $w.WriteAttributeString('required', "$(-not $isSwitch)".ToLowerInvariant())
            $w.WriteAttributeString('variableLength', "$($p.ParameterType.IsArray)".ToLowerInvariant())
            $w.WriteString($p.ParameterType.Name)
            $w.WriteEndElement()
        }
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $p.ParameterType.FullName); $w.WriteEndElement()
        $default = @($described["-$($p.Name)"] | Where-Object { $_ -match '^Default value:\s*(.+)$' } | ForEach-Object { $Matches[1] })
        $w.WriteElementString('dev', 'defaultValue', $dev, $(if ($default) { $default[0] } elseif ($isSwitch) { 'False' } else { 'None' }))
        $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'syntax', $command)
    foreach ($set in $cmdlet.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $command)
        $w.WriteElementString('maml', 'name', $maml, $cmdlet.Name)
        $inSet = @($set.Parameters | Where-Object { $_.Name -notin $common } | Sort-Object { if ($_.Position -ge 0) { $_.Position } else { 1000 } }, { -not $_.IsMandatory })
        foreach ($sp in $inSet) { & $writeParameter $cmdlet.Parameters[$sp.Name] $(if ($cmdlet.Parameters[$sp.Name].ParameterSets.ContainsKey($set.Name)) { $set.Name } else { '__AllParameterSets' }) $true }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $command)
    foreach ($p in $parameters) { & $writeParameter $p $null $false }
    $w.WriteEndElement()

    foreach ($kind in @(@{ Section = 'INPUTS'; List = 'inputTypes'; Item = 'inputType' }, @{ Section = 'OUTPUTS'; List = 'returnValues'; Item = 'returnValue' })) {
        $w.WriteStartElement('command', $kind.List, $command)
        if ($help.Contains($kind.Section)) {
            foreach ($type in @($help[$kind.Section].Keys | Where-Object { $_ })) {
                $w.WriteStartElement('command', $kind.Item, $command)
                $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $type); $w.WriteEndElement()
                $w.WriteStartElement('maml', 'description', $maml); Write-Paragraphs $w (Get-Paragraphs $help[$kind.Section][$type]); $w.WriteEndElement()
                $w.WriteEndElement()
            }
        }
        $w.WriteEndElement()
    }

    if ($help.Contains('NOTES')) {
        $w.WriteStartElement('maml', 'alertSet', $maml); $w.WriteStartElement('maml', 'alert', $maml)
        Write-Paragraphs $w (Get-Paragraphs $help['NOTES'][''])
        $w.WriteEndElement(); $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $command)
    foreach ($title in @($help['EXAMPLES'].Keys | Where-Object { $_ })) {
        $lines = $help['EXAMPLES'][$title]
        $text = $lines -join "`n"
        $code = if ($text -match '(?s)```powershell\n(.*?)\n```') { $Matches[1] } else { $problems.Add("$file, '$title': no ```powershell code."); '' }
        $remarks = Get-Paragraphs ([System.Collections.Generic.List[string]] (($text -replace '(?s)```powershell\n.*?\n```', '') -split "`n"))
        $w.WriteStartElement('command', 'example', $command)
        $w.WriteElementString('maml', 'title', $maml, "-------------------------- $title --------------------------")
        $w.WriteElementString('dev', 'code', $dev, $code)
        $w.WriteStartElement('dev', 'remarks', $dev); Write-Paragraphs $w $remarks; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'relatedLinks', $command)
    foreach ($link in @($help['RELATED LINKS'][''] | Where-Object { $_ -match '^- (.+)$' } | ForEach-Object { $Matches[1].Trim() })) {
        $w.WriteStartElement('maml', 'navigationLink', $maml); $w.WriteElementString('maml', 'linkText', $maml, $link); $w.WriteElementString('maml', 'uri', $maml, ''); $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Dispose()
foreach ($extra in Get-ChildItem -LiteralPath $Source -Filter *.md | Where-Object { $_.BaseName -notin $module.ExportedCmdlets.Keys }) {
    $problems.Add("$($extra.FullName) documents $($extra.BaseName), which the module does not export.")
}
if ($problems.Count) { throw "The help could not be built:`n" + ($problems -join "`n") }
Write-Host "Help for $($module.ExportedCmdlets.Count) cmdlets written to $Destination"
