; Windows installer of Realtor Ops Console (NSIS 3, Unicode). Built by installer/windows_installer.py:
;   makensis -DVERSION=0.1.0 -DBUNDLE_DIR=<onedir> -DOUT_FILE=<setup.exe> -DICON=<.ico> realtor-console.nsi
; Per machine (Program Files, asks for admin) or per user (no admin rights: %LOCALAPPDATA%\Programs);
; silent: setup.exe /S /CurrentUser  or  /S /AllUsers. Adds the install folder to the user's (or the
; machine's) PATH so realtor-ops works in a terminal; the uninstaller takes it out again.
; Uninstalling leaves the user's data (%LOCALAPPDATA%\realtor-ops: workspace, audit log, logs; the keyring).

Unicode true
!ifndef VERSION
  !error "define VERSION (e.g. -DVERSION=0.1.0)"
!endif
!ifndef BUNDLE_DIR
  !error "define BUNDLE_DIR: the PyInstaller onedir holding realtor-console.exe and realtor-ops.exe"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "realtor-ops-console-${VERSION}-windows-setup.exe"
!endif
!ifndef VI_VERSION
  !define VI_VERSION "${VERSION}.0"
!endif

!define APP_NAME "Realtor Ops Console"
!define APP_ID "RealtorOpsConsole"
!define PUBLISHER "Realtor Ops"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define USER_ENV_KEY "Environment"
!define MACHINE_ENV_KEY "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"

!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${APP_NAME}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "Software\${APP_ID}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallMode"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "Software\${APP_ID}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallDir"

!include MultiUser.nsh
!include MUI2.nsh
!include LogicLib.nsh
!include WinMessages.nsh
!include StrFunc.nsh
${Using:StrFunc} StrStr
${Using:StrFunc} UnStrRep

Name "${APP_NAME}"
OutFile "${OUT_FILE}"
SetCompressor /SOLID lzma
BrandingText "${APP_NAME} ${VERSION}"
VIProductVersion "${VI_VERSION}"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "FileDescription" "${APP_NAME} installer"
VIAddVersionKey "LegalCopyright" "${PUBLISHER}"

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\realtor-console.exe"

!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  !insertmacro MULTIUSER_INIT
FunctionEnd

Function un.onInit
  !insertmacro MULTIUSER_UNINIT
FunctionEnd

; PATH lives in HKCU\Environment (per user) or in the machine's environment key (all users).
; NSIS strings hold 1024 characters: a longer PATH is left alone (and the user told) rather than cut.
Function AddToPath
  ${If} $MultiUser.InstallMode == "AllUsers"
    ReadRegStr $0 HKLM "${MACHINE_ENV_KEY}" "Path"
  ${Else}
    ReadRegStr $0 HKCU "${USER_ENV_KEY}" "Path"
  ${EndIf}
  StrLen $1 $0
  ${If} $1 > 900
    MessageBox MB_OK|MB_ICONINFORMATION "Your PATH is too long to change safely; add $INSTDIR to it yourself to use realtor-ops in a terminal." /SD IDOK
    Return
  ${EndIf}
  ${StrStr} $2 ";$0;" ";$INSTDIR;"
  ${If} $2 != ""
    Return
  ${EndIf}
  ${If} $0 == ""
    StrCpy $0 "$INSTDIR"
  ${Else}
    StrCpy $0 "$0;$INSTDIR"
  ${EndIf}
  ${If} $MultiUser.InstallMode == "AllUsers"
    WriteRegExpandStr HKLM "${MACHINE_ENV_KEY}" "Path" "$0"
  ${Else}
    WriteRegExpandStr HKCU "${USER_ENV_KEY}" "Path" "$0"
  ${EndIf}
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
FunctionEnd

Function un.RemoveFromPath
  ${If} $MultiUser.InstallMode == "AllUsers"
    ReadRegStr $0 HKLM "${MACHINE_ENV_KEY}" "Path"
  ${Else}
    ReadRegStr $0 HKCU "${USER_ENV_KEY}" "Path"
  ${EndIf}
  StrLen $1 $0
  ${If} $1 > 900
    Return
  ${EndIf}
  ${UnStrRep} $0 ";$0;" ";$INSTDIR;" ";"
  ; drop the separators added above at both ends
  StrCpy $0 $0 "" 1
  StrCpy $0 $0 -1
  ${If} $MultiUser.InstallMode == "AllUsers"
    WriteRegExpandStr HKLM "${MACHINE_ENV_KEY}" "Path" "$0"
  ${Else}
    WriteRegExpandStr HKCU "${USER_ENV_KEY}" "Path" "$0"
  ${EndIf}
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
FunctionEnd

Section "Realtor Ops Console" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; A previous version's files go first, so nothing stale stays beside the new ones.
  RMDir /r "$INSTDIR\_internal"
  File /r "${BUNDLE_DIR}/*.*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  CreateShortCut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\realtor-console.exe" "" "$INSTDIR\realtor-console.exe" 0
  WriteRegStr SHCTX "Software\${APP_ID}" "InstallDir" "$INSTDIR"
  WriteRegStr SHCTX "Software\${APP_ID}" "InstallMode" "$MultiUser.InstallMode"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\realtor-console.exe"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoRepair" 1
  Call AddToPath
SectionEnd

Section "Uninstall"
  Call un.RemoveFromPath
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  ; Only what the installer put there: never RMDir /r the install folder itself (it could be anywhere).
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\realtor-console.exe"
  Delete "$INSTDIR\realtor-ops.exe"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey SHCTX "${UNINSTALL_KEY}"
  DeleteRegKey SHCTX "Software\${APP_ID}"
SectionEnd
