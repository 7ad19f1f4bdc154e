# Helpers several test files share; each file dot-sources this in its BeforeAll.

# Steps run in other runspaces of this process; they reach a synchronisation object the test made
# through AppDomain data, by a name passed with $using: or as an argument.
function New-SharedObject([object] $Value) {
    $name = 'agno-test-' + [guid]::NewGuid()
    [AppDomain]::CurrentDomain.SetData($name, $Value)
    $name
}

function Remove-SharedObject([string[]] $Name) {
    foreach ($n in $Name) { [AppDomain]::CurrentDomain.SetData($n, $null) }
}

# The ErrorRecord a command throws (or $null).
function Get-ThrownError([scriptblock] $ScriptBlock) {
    try { $null = & $ScriptBlock; $null } catch { $_ }
}
