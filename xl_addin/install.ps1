<#
.SYNOPSIS
Installs the carepolicy Excel functions for the current Windows user.

.DESCRIPTION
Run from the repository root, with Excel closed:

    powershell -ExecutionPolicy Bypass -File xl_addin\install.ps1 [-Workbook <path>] [-TrustVbaProject]

Steps:
  1. checks for Python 3.11 or later (the py launcher, else python on the PATH, or -Python <exe>);
  2. creates a virtual environment (default <repository>\.venv-excel);
  3. pip-installs carepolicy from this repository, editable, so that Excel reads this repository's policy\ folder;
  4. installs the xlwings add-in into Excel's XLSTART folder (xlwings addin install);
  5. writes the xlwings settings (Interpreter = this environment's pythonw.exe, UDF Modules = xl_addin.functions)
     and checks that xl_addin.functions imports in that environment;
  6. with -Workbook: saves the workbook as .xlsm, sets its reference to xlwings and imports the functions.
With -TrustVbaProject it also ticks "Trust access to the VBA project object model" for the current user,
which Import Functions needs; without it, tick that box yourself (see xl_addin\README.md).
#>
param(
    [string]$Python = "",
    [string]$Venv = "",
    [string]$Workbook = "",
    [switch]$TrustVbaProject
)

$ErrorActionPreference = "Stop"
$Repo = Split-Path -Parent $PSScriptRoot
if (-not $Venv) { $Venv = Join-Path $Repo ".venv-excel" }

function Step([string]$Text) { Write-Host "==> $Text" -ForegroundColor Cyan }

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "failed (exit code $LASTEXITCODE): $Exe $($Arguments -join ' ')" }
}

Step "Python 3.11 or later"
$Prefix = @()
if (-not $Python) {
    if (Get-Command py -ErrorAction SilentlyContinue) { $Python = "py"; $Prefix = @("-3") } else { $Python = "python" }
}
Invoke-Checked $Python ($Prefix + @("-c", "import sys; print(sys.version); sys.exit(0 if sys.version_info >= (3, 11) else 1)"))

Step "Virtual environment $Venv"
if (-not (Test-Path (Join-Path $Venv "Scripts\python.exe"))) {
    Invoke-Checked $Python ($Prefix + @("-m", "venv", $Venv))
}
$VenvPython = Join-Path $Venv "Scripts\python.exe"

Step "pip install -e $Repo"
Invoke-Checked $VenvPython @("-m", "pip", "install", "--upgrade", "pip")
Invoke-Checked $VenvPython @("-m", "pip", "install", "-e", $Repo)

Step "xlwings add-in"
if (Get-Process EXCEL -ErrorAction SilentlyContinue) {
    Write-Warning "Excel is running; the add-in is installed now but Excel loads it only after a restart."
}
Invoke-Checked (Join-Path $Venv "Scripts\xlwings.exe") @("addin", "install")
# The add-in is the package's own version (pinned in pyproject.toml); show both so that a mismatch is visible.
Invoke-Checked $VenvPython @("-c", "import xlwings; print('xlwings package', xlwings.__version__)")
Invoke-Checked (Join-Path $Venv "Scripts\xlwings.exe") @("addin", "status")

if ($TrustVbaProject) {
    Step "Trust access to the VBA project object model (current user)"
    $Key = "HKCU:\Software\Microsoft\Office\16.0\Excel\Security"
    if (-not (Test-Path $Key)) { New-Item -Path $Key -Force | Out-Null }
    New-ItemProperty -Path $Key -Name "AccessVBOM" -Value 1 -PropertyType DWord -Force | Out-Null
}

Step "xlwings settings and a check of xl_addin.functions"
$Configure = @("-m", "xl_addin.configure")
if ($Workbook) { $Configure += @("--workbook", (Resolve-Path $Workbook).Path) }
Invoke-Checked $VenvPython $Configure

Write-Host ""
Write-Host "Done. In Excel: open a workbook saved as .xlsm, set Tools > References > xlwings in the VBA editor"
Write-Host "(Alt+F11), then click Import Functions on the xlwings tab. See xl_addin\README.md."
