"""Realtor Ops Console: Qt-free async services shared by the console and the CLI."""
