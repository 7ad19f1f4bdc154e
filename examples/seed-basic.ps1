<#
.SYNOPSIS
    The seed's "basic use" example: a session with ids and an input, a few keys set and read.
#>
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../out/Agno') -Force

# The seed's NewExecutionContextWithSession("initial input", "session-123", "user-456").
# New-AgnoSession also makes this the current session, so -Session can be left out below.
$session = New-AgnoSession -SessionId 'session-123' -UserId 'user-456' -Input 'initial input'

Set-AgnoState -Key user_name -Value 'Alice'
Set-AgnoState -Key user_age -Value 30
Set-AgnoState -Key preferences -Value @{ language = 'zh-CN'; theme = 'dark' }

"User Name: $(Get-AgnoState -Key user_name)"

# The seed's JSON clone turns 30 into a float64; here an [int] stays an [int], so no type
# assertion can fail.
$age = Get-AgnoState -Key user_age
"User Age: $age [$($age.GetType().Name)]"

# What you read is a copy: changing it leaves the state alone until you Set it back.
$preferences = Get-AgnoState -Key preferences
$preferences.theme = 'light'
"Theme in state: $((Get-AgnoState -Key preferences).theme) (the copy read says '$($preferences.theme)')"

# A missing key is a non-terminating ObjectNotFound error, not a crash.
$null = Get-AgnoState -Key email -ErrorAction SilentlyContinue -ErrorVariable notFound
"Missing key: $($notFound[0].FullyQualifiedErrorId.Split(',')[0]) ($($notFound[0].CategoryInfo.Category))"

$session | Format-Table | Out-Host
Get-AgnoState | Out-Host
