"""The frozen bundle's entry point: one program, two executables.

``realtor-console`` (a GUI executable on Windows and macOS) runs the console; ``realtor-ops`` (a
console executable, so Windows gives it stdout and an exit code; on Linux a symlink to
``realtor-console``) runs the CLI. Both share one set of libraries; the name it was started as picks
the front end.
"""

import os
import sys


def main() -> None:
    names = {os.path.splitext(os.path.basename(path))[0].lower() for path in (sys.argv[0], sys.executable)}
    if "realtor-ops" in names:
        from cli.main import main as cli_main

        cli_main()
    else:
        from console.app import main as console_main

        raise SystemExit(console_main())


if __name__ == "__main__":
    main()
